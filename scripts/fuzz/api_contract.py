"""Fuzzes the served OpenAPI spec with schemathesis, as an admin and as a member.

Each role gets a fresh server (its own data dir, the tests' fake hub with one small model), an
account and an API key; then schemathesis runs every operation with all checks: no server
errors, responses match the spec's schemas and content types, no undocumented status codes,
schema-invalid requests are refused. One check is left out: `positive_data_acceptance`
(every schema-valid request accepted), because a password's strength (zxcvbn) and an e-mail's
look-alike and mixed-script rules cannot be stated in JSON Schema; the spec states every
constraint it can (lengths, patterns, formats, ranges). Operations that would end the
caller's own credentials are left out, so the run keeps testing as that role until the end.

usage: api_contract.py BINARY [--max-examples N] [--workers N] [--role admin|member|both]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PASSWORD = "correct horse battery staple 42"
# Each of these ends or changes the caller's own credentials or account, after which every
# later case would only test "401" (or they race the other cases for the same account).
SELF_ENDING = [
    "logout",
    "change_password",
    "revoke_sessions",
    "reset_password",
    "delete_user",
    "update_user",
    "patch_user",
    "revoke_api_key",
    "revoke_user_api_key",
]
# Streams that never end by design (the pool's events): a case would only wait out the timeout.
ENDLESS = ["server_events"]


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def start_fake_hub(binary):
    fixture = Path(__file__).resolve().parents[2] / ".fixtures" / "tiny-qwen3"
    if not (fixture / "config.json").is_file():
        sys.exit(f"{fixture} is missing: run ./setup")
    hub = subprocess.Popen(
        [str(Path(binary).with_name("fake-hub")), "mlx-test/tiny-qwen3", str(fixture)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = hub.stdout.readline().strip()
    if not url.startswith("http"):
        hub.kill()
        sys.exit(f"the fake hub did not start: {url!r}")
    return hub, url


def start_server(binary, home, hub_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLX_MANAGER_", "HF_"))}
    env.update(
        HOME=str(home),
        MLX_MANAGER_DATA_DIR=str(home / "data"),
        HF_HOME=str(home / "hf"),
        HF_ENDPOINT=hub_url,
        MLX_MANAGER_LOG_LEVEL="warn",
    )
    stderr = open(home / "server.log", "w")
    server = subprocess.Popen(
        [binary, "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    line = server.stdout.readline()
    url = next((w for w in line.split() if w.startswith("http://")), None)
    if url is None:
        server.kill()
        sys.exit(f"the server did not start: {line!r}\n{(home / 'server.log').read_text()}")
    return server, url


def key_for(base, email, admin_token=None):
    status, _ = call(base, "POST", "/api/auth/register", {"email": email, "password": PASSWORD})
    if status != 201:
        sys.exit(f"register {email}: {status}")
    if admin_token:
        status, users = call(base, "GET", "/api/auth/users", token=admin_token)
        user = next(u for u in users if u["email"] == email)
        status, _ = call(
            base, "PATCH", f"/api/auth/users/{user['id']}", {"status": "approved"}, admin_token
        )
        if status != 200:
            sys.exit(f"approve {email}: {status}")
    status, body = call(base, "POST", "/api/auth/login", {"username": email, "password": PASSWORD})
    if status != 200:
        sys.exit(f"login {email}: {status}")
    token = body["access_token"]
    status, key = call(base, "POST", "/api/auth/api-keys", {"name": "fuzz"}, token)
    if status != 201:
        sys.exit(f"API key for {email}: {status} {key}")
    return token, key["key"]


def fuzz(binary, role, max_examples, workers, schemathesis):
    with tempfile.TemporaryDirectory(prefix=f"mlx-manager-fuzz-{role}-") as home:
        home = Path(home)
        hub, hub_url = start_fake_hub(binary)
        server, url = start_server(binary, home, hub_url)
        try:
            admin_token, admin_key = key_for(url, "admin@example.com")
            if role == "admin":
                key = admin_key
            else:
                _, key = key_for(url, "member@example.com", admin_token)
            command = [
                schemathesis,
                "run",
                f"{url}/api/openapi.json",
                "--url",
                url,
                "-H",
                f"Authorization: Bearer {key}",
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--max-examples",
                str(max_examples),
                "--workers",
                str(workers),
                "--seed",
                "42",
                "--generation-deterministic",
                "--no-color",
                "--request-timeout",
                "30",
            ]
            for operation in SELF_ENDING + ENDLESS:
                command += ["--exclude-operation-id", operation]
            print(f"api_contract: {role}: {' '.join(command[1:4])} …", flush=True)
            started = time.monotonic()
            result = subprocess.run(command)
            print(f"api_contract: {role}: {time.monotonic() - started:.0f} s, exit {result.returncode}")
            return result.returncode == 0
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            hub.stdin.close()
            hub.wait(timeout=15)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--role", choices=["admin", "member", "both"], default="both")
    args = parser.parse_args()
    schemathesis = str(Path(sys.executable).with_name("schemathesis"))
    roles = ["admin", "member"] if args.role == "both" else [args.role]
    results = {role: fuzz(args.binary, role, args.max_examples, args.workers, schemathesis) for role in roles}
    if not all(results.values()):
        sys.exit(f"api_contract: failures in {[r for r, ok in results.items() if not ok]}")


if __name__ == "__main__":
    main()
