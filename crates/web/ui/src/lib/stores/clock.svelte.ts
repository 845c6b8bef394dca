/** The time, ticking once a second while something shows a countdown or an uptime. */
export class Clock {
	now = $state(Date.now());
	#users = 0;
	#timer: ReturnType<typeof setInterval> | null = null;

	start(): () => void {
		this.#users += 1;
		if (this.#timer === null) {
			this.now = Date.now();
			this.#timer = setInterval(() => (this.now = Date.now()), 1000);
		}
		return () => {
			this.#users -= 1;
			if (this.#users === 0 && this.#timer !== null) {
				clearInterval(this.#timer);
				this.#timer = null;
			}
		};
	}
}

export const clock = new Clock();
