;; WebAssembly SIMD kernels of @plasticity/recommenders (compiled by scripts/build-wasm.mjs into
;; kernels-wasm.ts; a unit test recompiles this file and checks the committed bytes match).
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

  ;; PCG32 (XSH RR), the generator of @plasticity/core's createRng: writes the next `n` 32-bit draws
  ;; to `out` from the 64-bit state and increment at `state` (state, then increment, little-endian),
  ;; and stores the advanced state back.
  (func (export "pcg32Fill") (param $state i32) (param $out i32) (param $n i32)
    (local $s i64) (local $inc i64) (local $old i64) (local $end i32)
    (local.set $s (i64.load (local.get $state)))
    (local.set $inc (i64.load offset=8 (local.get $state)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $draw
        (local.set $old (local.get $s))
        (local.set $s (i64.add (i64.mul (local.get $old) (i64.const 6364136223846793005)) (local.get $inc)))
        (i32.store (local.get $out)
          (i32.rotr
            (i32.wrap_i64 (i64.shr_u (i64.xor (i64.shr_u (local.get $old) (i64.const 18)) (local.get $old)) (i64.const 27)))
            (i32.wrap_i64 (i64.shr_u (local.get $old) (i64.const 59)))))
        (br_if $draw (i32.lt_u (local.tee $out (i32.add (local.get $out) (i32.const 4))) (local.get $end)))))
    (i64.store (local.get $state) (local.get $s)))
)
