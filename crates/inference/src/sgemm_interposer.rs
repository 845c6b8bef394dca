//! Matrix products of few rows, routed around OpenBLAS's general product, on Linux.
//!
//! Every f32 projection of a decoding step multiplies one row (or, in a batch, a few rows) by a
//! weight matrix. MLX's CPU backend sends every product to `cblas_sgemm`, and OpenBLAS's
//! general product first copies ("packs") the whole weight matrix into its own layout — on each
//! call, for a single row. Its `cblas_sgemv` reads the matrix in place and is about 1.6× faster
//! on SmolLM2 in f32.
//!
//! This module defines `cblas_sgemm` in the executable. The dynamic linker binds libmlx's calls
//! to the executable's definition first (as it does for mimalloc's `malloc`), so one-row
//! products go to the BLAS library's `cblas_sgemv`, products of 2 to 16 rows by a transposed
//! matrix (a batch's decoding step) to `few_row_product`, and every other product to the
//! library's `cblas_sgemm` unchanged. Small matrices run on one BLAS thread: waking OpenBLAS's
//! threads costs more than such a product. Results equal the general product's up to rounding
//! (summation order).

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{LazyLock, OnceLock};

use crate::few_row_product;

pub const ROW_MAJOR: c_int = 101;
pub const NO_TRANS: c_int = 111;
pub const TRANS: c_int = 112;

/// Below this many matrix elements a product runs on one BLAS thread.
const SINGLE_THREAD_BELOW: i64 = 256 * 1024;

// CBLAS signatures: order, transposes, sizes, alpha, A, lda, (B, ldb | x, incx), beta, C/y, ldc/incy.
#[rustfmt::skip]
type Sgemm = unsafe extern "C" fn(
    c_int, c_int, c_int, c_int, c_int, c_int, f32, *const f32, c_int, *const f32, c_int, f32,
    *mut f32, c_int,
);
#[rustfmt::skip]
type Sgemv = unsafe extern "C" fn(
    c_int, c_int, c_int, c_int, f32, *const f32, c_int, *const f32, c_int, f32, *mut f32, c_int,
);
type SetThreads = unsafe extern "C" fn(c_int);
type GetThreads = unsafe extern "C" fn() -> c_int;

struct Blas {
    sgemm: Option<Sgemm>,
    sgemv: Option<Sgemv>,
    /// OpenBLAS's thread control; absent with another BLAS.
    set_threads: Option<SetThreads>,
    default_threads: c_int,
    current_threads: AtomicI32,
}

static ROUTED: AtomicU64 = AtomicU64::new(0);
static FEW_ROWS: AtomicU64 = AtomicU64::new(0);
static FEW_ROWS_SUPPORTED: LazyLock<bool> = LazyLock::new(few_row_product::supported);

/// How many products went to the few-row kernel so far.
#[cfg(test)]
fn few_row_products() -> u64 {
    FEW_ROWS.load(Ordering::Relaxed)
}

/// How many products went to `cblas_sgemv` so far.
#[cfg(test)]
fn single_row_products() -> u64 {
    ROUTED.load(Ordering::Relaxed)
}

/// Keeps the definition below in the executable (an unused object is not linked).
pub fn ensure_linked() {
    std::hint::black_box(cblas_sgemm as *const c_void);
}

fn next_symbol(name: &std::ffi::CStr) -> *mut c_void {
    // SAFETY: dlsym with a valid, NUL-terminated name; RTLD_NEXT finds the next definition
    // after this executable's, i.e. the BLAS library's.
    unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) }
}

fn blas() -> &'static Blas {
    static BLAS: OnceLock<Blas> = OnceLock::new();
    BLAS.get_or_init(|| {
        // SAFETY: each non-null symbol is the BLAS function of that name and C signature.
        unsafe {
            let sgemm = next_symbol(c"cblas_sgemm");
            let sgemv = next_symbol(c"cblas_sgemv");
            let set = next_symbol(c"openblas_set_num_threads");
            let get = next_symbol(c"openblas_get_num_threads");
            let default_threads = match get.is_null() {
                true => 1,
                false => std::mem::transmute::<*mut c_void, GetThreads>(get)(),
            };
            Blas {
                sgemm: (!sgemm.is_null()).then(|| std::mem::transmute::<_, Sgemm>(sgemm)),
                sgemv: (!sgemv.is_null()).then(|| std::mem::transmute::<_, Sgemv>(sgemv)),
                set_threads: (!set.is_null()).then(|| std::mem::transmute::<_, SetThreads>(set)),
                default_threads,
                current_threads: AtomicI32::new(default_threads),
            }
        }
    })
}

impl Blas {
    fn use_threads(&self, elements: i64) {
        let Some(set_threads) = self.set_threads else {
            return;
        };
        let wanted = match elements < SINGLE_THREAD_BELOW {
            true => 1,
            false => self.default_threads,
        };
        if self.current_threads.swap(wanted, Ordering::Relaxed) != wanted {
            // SAFETY: OpenBLAS's setter, called with a positive count.
            unsafe { set_threads(wanted) };
        }
    }
}

/// The CBLAS `sgemm` interface; see the module documentation.
///
/// # Safety
/// The CBLAS contract: the pointers and leading dimensions describe valid matrices.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cblas_sgemm(
    order: c_int,
    trans_a: c_int,
    trans_b: c_int,
    m: c_int,
    n: c_int,
    k: c_int,
    alpha: f32,
    a: *const f32,
    lda: c_int,
    b: *const f32,
    ldb: c_int,
    beta: f32,
    c: *mut f32,
    ldc: c_int,
) {
    let rows = usize::try_from(m).unwrap_or(0);
    if order == ROW_MAJOR
        && (2..=few_row_product::MAX_ROWS).contains(&rows)
        && trans_a == NO_TRANS
        && trans_b == TRANS
        && n > 0
        && k > 0
        && *FEW_ROWS_SUPPORTED
    {
        let product = few_row_product::Product {
            m: rows,
            n: n as usize,
            k: k as usize,
            alpha,
            a,
            lda: lda as usize,
            w: b,
            ldw: ldb as usize,
            beta,
            c,
            ldc: ldc as usize,
        };
        // SAFETY: the caller's matrices, described as the kernel wants them.
        unsafe { product.run() };
        FEW_ROWS.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let blas = blas();
    let valid_trans = |t| t == NO_TRANS || t == TRANS;
    if let Some(sgemv) = blas.sgemv
        && order == ROW_MAJOR
        && m == 1
        && n > 0
        && k > 0
        && valid_trans(trans_a)
        && valid_trans(trans_b)
    {
        blas.use_threads(i64::from(n) * i64::from(k));
        if beta == 0.0 {
            // gemv scales y by beta; the output may hold garbage, and 0 · NaN is NaN.
            // SAFETY: C holds at least n floats (one row).
            unsafe { std::ptr::write_bytes(c, 0, n as usize) };
        }
        // The row of A: contiguous, or a column of the stored matrix when transposed.
        let incx = match trans_a {
            NO_TRANS => 1,
            _ => lda,
        };
        // SAFETY: the same matrices, described for a matrix–vector product.
        unsafe {
            match trans_b {
                // B stored [n, k]: y = B · a.
                TRANS => sgemv(
                    ROW_MAJOR, NO_TRANS, n, k, alpha, b, ldb, a, incx, beta, c, 1,
                ),
                // B stored [k, n]: y = Bᵀ · a.
                _ => sgemv(ROW_MAJOR, TRANS, k, n, alpha, b, ldb, a, incx, beta, c, 1),
            }
        }
        ROUTED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let Some(sgemm) = blas.sgemm else {
        // libmlx links a BLAS, so this cannot happen; computing nothing would be worse.
        eprintln!("mlx-manager: no cblas_sgemm in the BLAS library");
        std::process::abort();
    };
    // Small products (a sequence's attention over its cache) on one thread: OpenBLAS's woken
    // threads would spin on the cores the few-row kernel's helpers use.
    blas.use_threads(i64::from(m) * i64::from(n) * i64::from(k));
    // SAFETY: the caller's arguments, forwarded as they are.
    unsafe {
        sgemm(
            order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
        )
    }
}

#[cfg(test)]
mod tests {
    use mlx_rs::Array;
    use mlx_rs::ops::{addmm, concatenate};

    use super::*;
    use crate::test_values::spread;

    /// Equal up to f32 rounding of a `k`-term sum of products of magnitude ≤ 11.
    fn close(ours: &Array, reference: &Array, k: i32, case: &str) {
        let worst = ours
            .as_slice::<f32>()
            .iter()
            .zip(reference.as_slice::<f32>())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let bound = 1e-6 * k as f32 * 11.0;
        assert!(worst <= bound, "{case}: differs by {worst} (bound {bound})");
    }

    /// One row through `cblas_sgemv`, compared with the same row inside a two-row product
    /// (the few-row kernel, or `cblas_sgemm` where it does not run).
    fn compare_rows() {
        ensure_linked();
        for (k, n) in [(3, 5), (128, 384), (576, 1536), (700, 1200)] {
            let x = spread(&[1, k], 1);
            let other = spread(&[1, k], 2);
            let weight = spread(&[n, k], 3);
            let stored_kn = spread(&[k, n], 4);
            let bias = spread(&[n], 5);
            let pair = concatenate(&[&x, &other], 0).unwrap();
            let before = single_row_products();

            let row = x.matmul(weight.t()).unwrap();
            let rows = pair.matmul(weight.t()).unwrap();
            close(&row, &rows.index(0..1), k, &format!("x·Wᵀ {k}×{n}"));

            let row = x.matmul(&stored_kn).unwrap();
            let rows = pair.matmul(&stored_kn).unwrap();
            close(&row, &rows.index(0..1), k, &format!("x·W {k}×{n}"));

            let row = addmm(&bias, &x, weight.t(), None, None).unwrap();
            let rows = addmm(&bias, &pair, weight.t(), None, None).unwrap();
            close(&row, &rows.index(0..1), k, &format!("b + x·Wᵀ {k}×{n}"));

            assert!(
                single_row_products() >= before + 3,
                "the one-row products did not go through cblas_sgemv"
            );
        }
    }

    use mlx_rs::ops::indexing::IndexOp;

    /// Products of 2 to 16 rows through the few-row kernel (17 through the BLAS library), each
    /// row compared with the same row alone (`cblas_sgemv`), with and without `α`, `β` and a
    /// bias, on sizes with and without remainders of the kernel's 8 × 4 blocks.
    fn compare_few_rows() {
        ensure_linked();
        for (k, n) in [(3, 5), (8, 4), (128, 384), (576, 1536), (700, 1203)] {
            let weight = spread(&[n, k], 3);
            let bias = spread(&[n], 5);
            for m in [2, 3, 4, 5, 8, 9, 16, 17] {
                let rows = spread(&[m, k], m);
                let before = few_row_products();
                let together = rows.matmul(weight.t()).unwrap();
                let scaled = addmm(&bias, &rows, weight.t(), 2.0, 0.5).unwrap();
                for row in 0..m {
                    let alone = rows.index(row..row + 1).matmul(weight.t()).unwrap();
                    let case = format!("row {row} of {m}, {k}×{n}");
                    close(&together.index(row..row + 1), &alone, k, &case);
                    let expected =
                        addmm(&bias, rows.index(row..row + 1), weight.t(), 2.0, 0.5).unwrap();
                    close(
                        &scaled.index(row..row + 1),
                        &expected,
                        k,
                        &format!("{case}, α β"),
                    );
                }
                let routed = few_row_products() - before;
                match (m <= MAX_FEW_ROWS, few_row_product::supported()) {
                    (true, true) => assert!(routed >= 2, "{m} rows did not use the kernel"),
                    _ => assert_eq!(routed, 0, "{m} rows went to the kernel"),
                }
            }
        }
    }

    const MAX_FEW_ROWS: i32 = few_row_product::MAX_ROWS as i32;

    #[test]
    fn few_row_products_read_the_weights_once_and_equal_each_row_alone() {
        mlx_rs::with_device(mlx_rs::Device::cpu(), compare_few_rows);
    }

    #[test]
    fn one_row_products_use_gemv_and_equal_the_general_product() {
        mlx_rs::with_device(mlx_rs::Device::cpu(), compare_rows);
    }
}
