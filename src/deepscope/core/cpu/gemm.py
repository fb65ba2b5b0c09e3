"""Matrix products that use both cores while BLAS keeps to one thread.

deepscope keeps BLAS to one thread (``threads.py``: spinning BLAS pools beside numba's
workers made the kernels 3-4x slower), so a large product ran on one core. :func:`mm_rows`
splits the product's output rows over numba's threads instead, each calling the same
single-threaded sgemm/dgemm on its block of rows: no block reads another's output, so no
partial sums to add up, and the three products of a dense layer's training step (the
forward ``x @ W``, the weight gradient ``x.T @ dz``, the input gradient ``dz @ W.T``) all
split the same way.

``np.dot`` cannot take a block of ``x.T``'s rows (numba copies a strided view before BLAS
sees it), so :func:`_gemm` calls numba's own BLAS entry point (the one its ``np.dot`` uses,
scipy's BLAS) with the leading dimensions given.
"""

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from .threads import POLICY


@intrinsic
def _gemm(typingctx, trans_a, trans_b, m, n, k, a, a_off, lda, b, ldb, c, c_off, ldc):
    """Row-major ``c[c_off:] (m x n, leading dim ldc) = op(a[a_off:]) @ op(b)``, op the
    transpose where ``trans_*``; a, b, c C-contiguous 2-D arrays of one float dtype.
    Returns numba's BLAS status: 0, or -1 where no BLAS could be loaded."""
    arrays = (a, b, c)
    if not all(isinstance(x, types.Array) and x.ndim == 2 and x.layout == "C" for x in arrays):
        return None  # the leading dimensions are the C-contiguous arrays' own
    if a.dtype not in (types.float32, types.float64) or not b.dtype == c.dtype == a.dtype:
        return None
    sig = types.int32(trans_a, trans_b, m, n, k, a, a_off, lda, b, ldb, c, c_off, ldc)

    def codegen(context, builder, signature, args):
        ta, tb, m_, n_, k_, av, a_off_, lda_, bv, ldb_, cv, c_off_, ldc_ = args
        tys = signature.args
        intp = context.get_value_type(types.intp)
        char = ir.IntType(8)
        voidp = cgutils.voidptr_t

        def as_intp(value, ty):
            return context.cast(builder, value, ty, types.intp)

        def data(arr_value, arr_ty, off, off_ty):
            arr = context.make_array(arr_ty)(context, builder, arr_value)
            ptr = builder.gep(arr.data, [as_intp(off, off_ty)])
            return builder.bitcast(ptr, voidp)

        def trans(flag, flag_ty):
            is_t = context.cast(builder, flag, flag_ty, types.boolean)
            return builder.select(is_t, ir.Constant(char, ord("t")), ir.Constant(char, ord("n")))

        dtype = tys[5].dtype
        alpha = cgutils.alloca_once_value(builder, context.get_constant(dtype, 1.0))
        beta = cgutils.alloca_once_value(builder, context.get_constant(dtype, 0.0))
        fnty = ir.FunctionType(
            ir.IntType(32),
            [char, char, char, intp, intp, intp, voidp, voidp, intp, voidp, intp, voidp,
             voidp, intp],
        )  # fmt: skip
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")
        kind = ir.Constant(char, ord("s" if dtype == types.float32 else "d"))
        zero = context.get_constant(types.intp, 0)
        # row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: B comes first
        return builder.call(
            fn,
            (
                kind,
                trans(tb, tys[1]),
                trans(ta, tys[0]),
                as_intp(n_, tys[3]),
                as_intp(m_, tys[2]),
                as_intp(k_, tys[4]),
                builder.bitcast(alpha, voidp),
                data(bv, tys[8], zero, types.intp),
                as_intp(ldb_, tys[9]),
                data(av, tys[5], a_off_, tys[6]),
                as_intp(lda_, tys[7]),
                builder.bitcast(beta, voidp),
                data(cv, tys[10], c_off_, tys[11]),
                as_intp(ldc_, tys[12]),
            ),
        )

    return sig, codegen


@intrinsic
def runtime_flag(typingctx, flag):
    """``flag`` as a plain boolean: a constant True or False passed to :func:`mm_rows` is
    typed as a literal, and numba compiled mm_rows once per combination of constants (three
    parallel kernels for the dense step, 0.65 s each on a cold cache) rather than once."""
    if not isinstance(flag, (types.Boolean, types.BooleanLiteral)):
        return None
    sig = types.boolean(flag)

    def codegen(context, builder, signature, args):
        return context.cast(builder, args[0], signature.args[0], types.boolean)

    return sig, codegen


# m * k * n each block must hold for a product to be split: on the Intel machine, timed in a
# loop, 128x32x32 (F's products) took 1.4-2.6 us in one call and 4.1-5.5 us split in two,
# 128x64x64 5.6 against 6.7 us, 256x64x64 17 against 11 us, B's 256x784x128 355 against 208 us
SPLIT_MIN_WORK = 1 << 19
NO_BLAS = "mm_rows: no BLAS could be loaded (numba takes scipy's)"


@njit(parallel=True, cache=True)
def mm_rows(trans_a, trans_b, a, b, out, parts):
    """out = op(a) @ op(b) (op: the transpose where ``trans_*``), out's rows split in
    ``parts`` blocks over numba's threads (:func:`split_parts`), at most one a
    ``SPLIT_MIN_WORK`` of m * k * n (a smaller product is one call on this thread: starting
    the threads costs more than it saves); a, b and out C-contiguous 2-D arrays of one float
    dtype."""
    m, n = out.shape
    k = a.shape[0] if trans_a else a.shape[1]
    a_rows = a.shape[1] if trans_a else a.shape[0]
    b_rows, b_cols = (b.shape[1], b.shape[0]) if trans_b else (b.shape[0], b.shape[1])
    if a_rows != m or b_rows != k or b_cols != n:
        raise ValueError("mm_rows: the shapes of op(a), op(b) and out do not agree")
    if m == 0 or n == 0:
        return
    if k == 0:
        out[:] = 0.0
        return
    lda, ldb = a.shape[1], b.shape[1]
    parts = min(parts, m // 16, m * n * k // SPLIT_MIN_WORK)
    if parts <= 1:  # one block: no parallel region to start and join
        if _gemm(trans_a, trans_b, m, n, k, a, 0, lda, b, ldb, out, 0, n):
            raise RuntimeError(NO_BLAS)
        return
    status = np.zeros(parts, dtype=np.int32)
    for part in prange(parts):
        r0 = m * part // parts
        r1 = m * (part + 1) // parts
        # op(a)'s rows r0..r1: a's rows (offset r0 rows) or, transposed, a's columns
        a_off = r0 if trans_a else r0 * lda
        status[part] = _gemm(trans_a, trans_b, r1 - r0, n, k, a, a_off, lda, b, ldb, out,
                             r0 * n, n)  # fmt: skip
    if status.any():
        raise RuntimeError(NO_BLAS)


def split_parts() -> int:
    """How many blocks :func:`mm_rows` splits a product into: numba's thread count while BLAS
    keeps to one thread (deepscope's policy), else 1 (BLAS threads its own products).

    (Read here, in Python: ``numba.get_num_threads()`` inside a kernel keeps it out of
    numba's cache.)"""
    return numba.get_num_threads() if POLICY["blas_threads"] == 1 else 1
