;; WebAssembly SIMD kernels for SVD and NMF (MATRIX_FACTORIZATION_KERNELS of @plasticity/core),
;; compiled by scripts/build-wasm.mjs into MatrixFactorization-wasm.ts (a test checks the bytes).
;;
;; Layout conventions: factor rows are float32, padded with zeros to `stride` bytes (a multiple of
;; 16, so one row is a whole number of f32x4 vectors); biases are float64; every pointer is a byte
;; offset into the imported memory. Zero padding stays zero under every update below.
(module
  (import "env" "memory" (memory 1))

  ;; One SGD pass of SVD over `n` ratings given in visiting order as parallel arrays of user index
  ;; (i32), item index (i32) and rating (f32). Per rating: err = r - (mu + bu + bi + q·p); the
  ;; biases step when `biased` is non-zero; then p <- keepP·p + lrPu·err·q and
  ;; q <- keepQ·q + lrQi·err·p (old p). Returns the summed squared error.
  (func (export "svdEpoch")
    (param $n i32) (param $users i32) (param $items i32) (param $ratings i32)
    (param $pu i32) (param $qi i32) (param $bu i32) (param $bi i32) (param $stride i32)
    (param $mu f64) (param $biased i32)
    (param $lrBu f64) (param $lrBi f64) (param $regBu f64) (param $regBi f64)
    (param $lrPu f64) (param $lrQi f64) (param $keepP f32) (param $keepQ f32)
    (result f64)
    (local $k i32) (local $u i32) (local $i i32) (local $p i32) (local $q i32) (local $f i32)
    (local $bu_at i32) (local $bi_at i32)
    (local $err f64) (local $sse f64)
    (local $acc0 v128) (local $acc1 v128) (local $pv v128) (local $qv v128) (local $kp v128) (local $kq v128) (local $sp v128) (local $sq v128)
    (local.set $kp (f32x4.splat (local.get $keepP)))
    (local.set $kq (f32x4.splat (local.get $keepQ)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $rating
        (local.set $u (i32.load (i32.add (local.get $users) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $i (i32.load (i32.add (local.get $items) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $p (i32.add (local.get $pu) (i32.mul (local.get $u) (local.get $stride))))
        (local.set $q (i32.add (local.get $qi) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $bu_at (i32.add (local.get $bu) (i32.shl (local.get $u) (i32.const 3))))
        (local.set $bi_at (i32.add (local.get $bi) (i32.shl (local.get $i) (i32.const 3))))
        ;; q·p: two f32x4 accumulators over pairs of vectors, then the odd vector if any; the lanes
        ;; are added in float64.
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $f (i32.const 0))
        (block $pairs_done
          (br_if $pairs_done (i32.lt_u (local.get $stride) (i32.const 32)))
          (loop $pairs
            (local.set $acc0
              (f32x4.add (local.get $acc0)
                (f32x4.mul
                  (v128.load (i32.add (local.get $p) (local.get $f)))
                  (v128.load (i32.add (local.get $q) (local.get $f))))))
            (local.set $acc1
              (f32x4.add (local.get $acc1)
                (f32x4.mul
                  (v128.load offset=16 (i32.add (local.get $p) (local.get $f)))
                  (v128.load offset=16 (i32.add (local.get $q) (local.get $f))))))
            (br_if $pairs
              (i32.le_u (i32.add (local.tee $f (i32.add (local.get $f) (i32.const 32))) (i32.const 32))
                (local.get $stride)))))
        (if (i32.lt_u (local.get $f) (local.get $stride))
          (then
            (local.set $acc0
              (f32x4.add (local.get $acc0)
                (f32x4.mul
                  (v128.load (i32.add (local.get $p) (local.get $f)))
                  (v128.load (i32.add (local.get $q) (local.get $f))))))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
        (local.set $err
          (f64.sub
            (f64.promote_f32 (f32.load (i32.add (local.get $ratings) (i32.shl (local.get $k) (i32.const 2)))))
            (f64.add
              (f64.add
                (f64.add (local.get $mu) (f64.load (local.get $bu_at)))
                (f64.load (local.get $bi_at)))
              (f64.add
                (f64.add
                  (f64.add
                    (f64.promote_f32 (f32x4.extract_lane 0 (local.get $acc0)))
                    (f64.promote_f32 (f32x4.extract_lane 1 (local.get $acc0))))
                  (f64.promote_f32 (f32x4.extract_lane 2 (local.get $acc0))))
                (f64.promote_f32 (f32x4.extract_lane 3 (local.get $acc0)))))))
        (local.set $sse (f64.add (local.get $sse) (f64.mul (local.get $err) (local.get $err))))
        (if (local.get $biased)
          (then
            (f64.store (local.get $bu_at)
              (f64.add (f64.load (local.get $bu_at))
                (f64.mul (local.get $lrBu)
                  (f64.sub (local.get $err) (f64.mul (local.get $regBu) (f64.load (local.get $bu_at)))))))
            (f64.store (local.get $bi_at)
              (f64.add (f64.load (local.get $bi_at))
                (f64.mul (local.get $lrBi)
                  (f64.sub (local.get $err) (f64.mul (local.get $regBi) (f64.load (local.get $bi_at)))))))))
        (local.set $sp (f32x4.splat (f32.demote_f64 (f64.mul (local.get $lrPu) (local.get $err)))))
        (local.set $sq (f32x4.splat (f32.demote_f64 (f64.mul (local.get $lrQi) (local.get $err)))))
        (local.set $f (i32.const 0))
        (loop $update
          (local.set $pv (v128.load (i32.add (local.get $p) (local.get $f))))
          (local.set $qv (v128.load (i32.add (local.get $q) (local.get $f))))
          (v128.store (i32.add (local.get $p) (local.get $f))
            (f32x4.add (f32x4.mul (local.get $kp) (local.get $pv)) (f32x4.mul (local.get $sp) (local.get $qv))))
          (v128.store (i32.add (local.get $q) (local.get $f))
            (f32x4.add (f32x4.mul (local.get $kq) (local.get $qv)) (f32x4.mul (local.get $sq) (local.get $pv))))
          (br_if $update (i32.lt_u (local.tee $f (i32.add (local.get $f) (i32.const 16))) (local.get $stride))))
        (br_if $rating (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n)))))
    (local.get $sse))

  ;; NMF, one side of an epoch: for each CSR row `a` (users, or items), with `est = own_a·other_b`
  ;; for each entry (b, r) of the row, sets num_a = Σ r·other_b and den_a = Σ est·other_b (the
  ;; numerators and denominators of the multiplicative update). Returns Σ (r - est)².
  (func (export "nmfSide")
    (param $rows i32) (param $indptr i32) (param $indices i32) (param $values i32)
    (param $own i32) (param $other i32) (param $num i32) (param $den i32) (param $stride i32)
    (result f64)
    (local $a i32) (local $k i32) (local $end i32) (local $f i32)
    (local $ownRow i32) (local $numRow i32) (local $denRow i32) (local $otherRow i32)
    (local $r f32) (local $est f32) (local $err f64) (local $sse f64)
    (local $acc v128) (local $o v128) (local $rv v128) (local $ev v128)
    (block $done
      (br_if $done (i32.eqz (local.get $rows)))
      (loop $row
        (local.set $ownRow (i32.add (local.get $own) (i32.mul (local.get $a) (local.get $stride))))
        (local.set $numRow (i32.add (local.get $num) (i32.mul (local.get $a) (local.get $stride))))
        (local.set $denRow (i32.add (local.get $den) (i32.mul (local.get $a) (local.get $stride))))
        (local.set $f (i32.const 0))
        (loop $zero
          (v128.store (i32.add (local.get $numRow) (local.get $f)) (v128.const i32x4 0 0 0 0))
          (v128.store (i32.add (local.get $denRow) (local.get $f)) (v128.const i32x4 0 0 0 0))
          (br_if $zero (i32.lt_u (local.tee $f (i32.add (local.get $f) (i32.const 16))) (local.get $stride))))
        (local.set $k (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $a) (i32.const 2)))))
        (local.set $end (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $a) (i32.const 2)))))
        (block $row_done
          (br_if $row_done (i32.ge_u (local.get $k) (local.get $end)))
          (loop $entry
            (local.set $otherRow
              (i32.add (local.get $other)
                (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $k) (i32.const 2))))
                  (local.get $stride))))
            (local.set $r (f32.load (i32.add (local.get $values) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $f (i32.const 0))
            (loop $dot
              (local.set $acc
                (f32x4.add (local.get $acc)
                  (f32x4.mul
                    (v128.load (i32.add (local.get $otherRow) (local.get $f)))
                    (v128.load (i32.add (local.get $ownRow) (local.get $f))))))
              (br_if $dot (i32.lt_u (local.tee $f (i32.add (local.get $f) (i32.const 16))) (local.get $stride))))
            (local.set $est
              (f32.add
                (f32.add
                  (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                  (f32x4.extract_lane 2 (local.get $acc)))
                (f32x4.extract_lane 3 (local.get $acc))))
            (local.set $err (f64.promote_f32 (f32.sub (local.get $r) (local.get $est))))
            (local.set $sse (f64.add (local.get $sse) (f64.mul (local.get $err) (local.get $err))))
            (local.set $rv (f32x4.splat (local.get $r)))
            (local.set $ev (f32x4.splat (local.get $est)))
            (local.set $f (i32.const 0))
            (loop $sums
              (local.set $o (v128.load (i32.add (local.get $otherRow) (local.get $f))))
              (v128.store (i32.add (local.get $numRow) (local.get $f))
                (f32x4.add (v128.load (i32.add (local.get $numRow) (local.get $f)))
                  (f32x4.mul (local.get $o) (local.get $rv))))
              (v128.store (i32.add (local.get $denRow) (local.get $f))
                (f32x4.add (v128.load (i32.add (local.get $denRow) (local.get $f)))
                  (f32x4.mul (local.get $o) (local.get $ev))))
              (br_if $sums (i32.lt_u (local.tee $f (i32.add (local.get $f) (i32.const 16))) (local.get $stride))))
            (br_if $entry (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $end)))))
        (br_if $row (i32.lt_u (local.tee $a (i32.add (local.get $a) (i32.const 1))) (local.get $rows)))))
    (local.get $sse))

  ;; NMF's multiplicative update of one side: for each row `a` with `n` CSR entries and each factor
  ;; x ≠ 0, x <- x · num / (den + n·reg·x); factors equal to 0 stay 0.
  (func (export "nmfUpdate")
    (param $rows i32) (param $indptr i32) (param $x i32) (param $num i32) (param $den i32) (param $stride i32)
    (param $reg f32)
    (local $a i32) (local $f i32) (local $at i32) (local $xv v128) (local $c v128)
    (block $done
      (br_if $done (i32.eqz (local.get $rows)))
      (loop $row
        (local.set $c
          (f32x4.splat
            (f32.mul (local.get $reg)
              (f32.convert_i32_s
                (i32.sub
                  (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $a) (i32.const 2))))
                  (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $a) (i32.const 2)))))))))
        (local.set $f (i32.const 0))
        (loop $vec
          (local.set $at (i32.add (i32.mul (local.get $a) (local.get $stride)) (local.get $f)))
          (local.set $xv (v128.load (i32.add (local.get $x) (local.get $at))))
          (v128.store (i32.add (local.get $x) (local.get $at))
            (v128.bitselect
              (f32x4.mul (local.get $xv)
                (f32x4.div (v128.load (i32.add (local.get $num) (local.get $at)))
                  (f32x4.add (v128.load (i32.add (local.get $den) (local.get $at)))
                    (f32x4.mul (local.get $c) (local.get $xv)))))
              (local.get $xv)
              (f32x4.ne (local.get $xv) (v128.const i32x4 0 0 0 0))))
          (br_if $vec (i32.lt_u (local.tee $f (i32.add (local.get $f) (i32.const 16))) (local.get $stride))))
        (br_if $row (i32.lt_u (local.tee $a (i32.add (local.get $a) (i32.const 1))) (local.get $rows))))))

;; Normal draws exactly as @plasticity/core's Rng.normal makes them: PCG32 (XSH RR) 32-bit
  ;; draws, two per 53-bit uniform, Marsaglia's polar method, and fdlibm's log (as core's
  ;; deterministicLog). The generator's 64-bit state and increment live in these globals while
  ;; normalFill runs.
  (global $state (mut i64) (i64.const 0))
  (global $inc (mut i64) (i64.const 0))

  (func $next (result i32)
    (local $old i64)
    (local.set $old (global.get $state))
    (global.set $state (i64.add (i64.mul (local.get $old) (i64.const 6364136223846793005)) (global.get $inc)))
    (i32.rotr
      (i32.wrap_i64 (i64.shr_u (i64.xor (i64.shr_u (local.get $old) (i64.const 18)) (local.get $old)) (i64.const 27)))
      (i32.wrap_i64 (i64.shr_u (local.get $old) (i64.const 59)))))

  ;; 2u - 1 for u uniform on [0, 1) with 53 random bits (Rng.uniform). Rng.uniform divides by
  ;; 2^53; multiplying by 2^-53 is the same exact operation, and cheaper.
  (func $symmetric (result f64)
    (f64.sub
      (f64.mul (f64.const 2)
        (f64.mul
          (f64.add
            (f64.mul (f64.convert_i32_u (i32.shr_u (call $next) (i32.const 5))) (f64.const 67108864))
            (f64.convert_i32_u (i32.shr_u (call $next) (i32.const 6))))
          (f64.const 0x1p-53)))
      (f64.const 1)))

  ;; fdlibm's __ieee754_log (e_log.c), operation for operation as core's deterministicLog.
  (func $log (export "log") (param $x f64) (result f64)
    (local $hx i32) (local $lx i32) (local $k i32) (local $i0 i32) (local $i i32)
    (local $f f64) (local $dk f64) (local $r f64) (local $s f64) (local $z f64) (local $w f64) (local $hfsq f64)
    (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))
    (local.set $lx (i32.wrap_i64 (i64.reinterpret_f64 (local.get $x))))
    (if (i32.lt_s (local.get $hx) (i32.const 0x00100000))
      (then
        (if (i32.eqz (i32.or (i32.and (local.get $hx) (i32.const 0x7fffffff)) (local.get $lx)))
          (then (return (f64.const -inf))))
        (if (i32.lt_s (local.get $hx) (i32.const 0)) (then (return (f64.const nan))))
        (local.set $k (i32.const -54))
        (local.set $x (f64.mul (local.get $x) (f64.const 1.8014398509481984e16)))
        (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))))
    (if (i32.ge_s (local.get $hx) (i32.const 0x7ff00000)) (then (return (f64.add (local.get $x) (local.get $x)))))
    (local.set $k (i32.add (local.get $k) (i32.sub (i32.shr_s (local.get $hx) (i32.const 20)) (i32.const 1023))))
    (local.set $hx (i32.and (local.get $hx) (i32.const 0x000fffff)))
    (local.set $i0 (i32.and (i32.add (local.get $hx) (i32.const 0x95f64)) (i32.const 0x100000)))
    ;; x with its exponent set to 0 or -1: in [sqrt(2)/2, sqrt(2)).
    (local.set $x
      (f64.reinterpret_i64
        (i64.or
          (i64.shl (i64.extend_i32_u (i32.or (local.get $hx) (i32.xor (local.get $i0) (i32.const 0x3ff00000))))
            (i64.const 32))
          (i64.and (i64.reinterpret_f64 (local.get $x)) (i64.const 0xffffffff)))))
    (local.set $k (i32.add (local.get $k) (i32.shr_s (local.get $i0) (i32.const 20))))
    (local.set $f (f64.sub (local.get $x) (f64.const 1)))
    (local.set $dk (f64.convert_i32_s (local.get $k)))
    (if (i32.lt_s (i32.and (i32.const 0x000fffff) (i32.add (i32.const 2) (local.get $hx))) (i32.const 3))
      (then
        (if (f64.eq (local.get $f) (f64.const 0))
          (then
            (return
              (select (f64.const 0)
                (f64.add
                  (f64.mul (local.get $dk) (f64.const 6.9314718036912381649e-1))
                  (f64.mul (local.get $dk) (f64.const 1.90821492927058770002e-10)))
                (i32.eqz (local.get $k))))))
        (local.set $r
          (f64.mul (f64.mul (local.get $f) (local.get $f))
            (f64.sub (f64.const 0.5) (f64.mul (f64.const 0.3333333333333333) (local.get $f)))))
        (return
          (select (f64.sub (local.get $f) (local.get $r))
            (f64.sub (f64.mul (local.get $dk) (f64.const 6.9314718036912381649e-1))
              (f64.sub
                (f64.sub (local.get $r) (f64.mul (local.get $dk) (f64.const 1.90821492927058770002e-10)))
                (local.get $f)))
            (i32.eqz (local.get $k))))))
    (local.set $s (f64.div (local.get $f) (f64.add (f64.const 2) (local.get $f))))
    (local.set $z (f64.mul (local.get $s) (local.get $s)))
    (local.set $w (f64.mul (local.get $z) (local.get $z)))
    ;; r = t2 + t1
    (local.set $r
      (f64.add
        (f64.mul (local.get $z)
          (f64.add (f64.const 6.66666666666673513e-1)
            (f64.mul (local.get $w)
              (f64.add (f64.const 2.857142874366239149e-1)
                (f64.mul (local.get $w)
                  (f64.add (f64.const 1.818357216161805012e-1)
                    (f64.mul (local.get $w) (f64.const 1.479819860511658591e-1))))))))
        (f64.mul (local.get $w)
          (f64.add (f64.const 3.999999999940941908e-1)
            (f64.mul (local.get $w)
              (f64.add (f64.const 2.222219843214978396e-1)
                (f64.mul (local.get $w) (f64.const 1.531383769920937332e-1))))))))
    (local.set $i (i32.or (i32.sub (local.get $hx) (i32.const 0x6147a)) (i32.sub (i32.const 0x6b851) (local.get $hx))))
    (if (i32.gt_s (local.get $i) (i32.const 0))
      (then
        (local.set $hfsq (f64.mul (f64.mul (f64.const 0.5) (local.get $f)) (local.get $f)))
        (return
          (select
            (f64.sub (local.get $f)
              (f64.sub (local.get $hfsq) (f64.mul (local.get $s) (f64.add (local.get $hfsq) (local.get $r)))))
            (f64.sub (f64.mul (local.get $dk) (f64.const 6.9314718036912381649e-1))
              (f64.sub
                (f64.sub (local.get $hfsq)
                  (f64.add (f64.mul (local.get $s) (f64.add (local.get $hfsq) (local.get $r)))
                    (f64.mul (local.get $dk) (f64.const 1.90821492927058770002e-10))))
                (local.get $f)))
            (i32.eqz (local.get $k))))))
    (select
      (f64.sub (local.get $f) (f64.mul (local.get $s) (f64.sub (local.get $f) (local.get $r))))
      (f64.sub (f64.mul (local.get $dk) (f64.const 6.9314718036912381649e-1))
        (f64.sub
          (f64.sub (f64.mul (local.get $s) (f64.sub (local.get $f) (local.get $r)))
            (f64.mul (local.get $dk) (f64.const 1.90821492927058770002e-10)))
          (local.get $f)))
      (i32.eqz (local.get $k))))

  ;; Writes `rows` rows of `width` float32 draws of N(mean, std²), rows `stride` bytes apart, to
  ;; `out`, advancing the PCG32 state and increment stored at `state` (little-endian i64s, state
  ;; first). `spare` is the generator's pending second normal (NaN: none); returns the new one.
  (func (export "normalFill")
    (param $state i32) (param $out i32) (param $rows i32) (param $width i32) (param $stride i32)
    (param $mean f64) (param $std f64) (param $spare f64)
    (result f64)
    (local $r i32) (local $c i32) (local $at i32) (local $u f64) (local $v f64) (local $s f64) (local $factor f64)
    (local $value f64)
    (global.set $state (i64.load (local.get $state)))
    (global.set $inc (i64.load offset=8 (local.get $state)))
    (block $done
      (br_if $done (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $width))))
      (loop $row
        (local.set $at (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $c (i32.const 0))
        (loop $col
          (if (f64.eq (local.get $spare) (local.get $spare))
            (then
              (local.set $value (f64.add (local.get $mean) (f64.mul (local.get $std) (local.get $spare))))
              (local.set $spare (f64.const nan)))
            (else
              (loop $reject
                (local.set $u (call $symmetric))
                (local.set $v (call $symmetric))
                (local.set $s (f64.add (f64.mul (local.get $u) (local.get $u)) (f64.mul (local.get $v) (local.get $v))))
                (br_if $reject (i32.or (f64.ge (local.get $s) (f64.const 1)) (f64.eq (local.get $s) (f64.const 0)))))
              (local.set $factor
                (f64.sqrt (f64.div (f64.mul (f64.const -2) (call $log (local.get $s))) (local.get $s))))
              (local.set $spare (f64.mul (local.get $v) (local.get $factor)))
              (local.set $value
                (f64.add (local.get $mean) (f64.mul (f64.mul (local.get $std) (local.get $u)) (local.get $factor))))))
          (f32.store (i32.add (local.get $at) (i32.shl (local.get $c) (i32.const 2))) (f32.demote_f64 (local.get $value)))
          (br_if $col (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $width))))
        (br_if $row (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows)))))
    (i64.store (local.get $state) (global.get $state))
    (local.get $spare))
)
