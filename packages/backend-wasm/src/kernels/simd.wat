;; SIMD kernels that work directly on tfjs-backend-wasm's heap (the module imports its memory):
;; scripts/build-wasm.mjs compiles this file to simd-wasm.ts (once for the single-threaded build's
;; memory and once for the threaded build's shared memory).
(module
  (import "env" "memory" (memory 1))

  ;; Adam (and AdamW) update of n float32 weights, in the op-based rule's order of operations:
  ;;   g' = g + l2·w;  m' = b1·m + (1 - b1)·g';  v' = b2·v + (1 - b2)·g'²
  ;;   w' = keep·w - (m' / (sqrt(v') / bias2Sqrt + eps)) · stepSize
  ;; Pointers are byte offsets; outputs may not alias inputs.
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32)
    (param $wo i32) (param $mo i32) (param $vo i32) (param $n i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $eps f32)
    (param $bias2 f32) (param $step f32) (param $l2 f32) (param $keep f32)
    (local $i i32) (local $n4 i32) (local $o i32)
    (local $vb1 v128) (local $vc1 v128) (local $vb2 v128) (local $vc2 v128) (local $veps v128)
    (local $vbias2 v128) (local $vstep v128) (local $vl2 v128) (local $vkeep v128)
    (local $xw v128) (local $xg v128) (local $xm v128) (local $xv v128)
    (local $sw f32) (local $sg f32) (local $sm f32) (local $sv f32)
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vbias2 (f32x4.splat (local.get $bias2)))
    (local.set $vstep (f32x4.splat (local.get $step)))
    (local.set $vl2 (f32x4.splat (local.get $l2)))
    (local.set $vkeep (f32x4.splat (local.get $keep)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done4
      (loop $vec
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $xw (v128.load align=4 (i32.add (local.get $w) (local.get $o))))
        (local.set $xg (v128.load align=4 (i32.add (local.get $g) (local.get $o))))
        (local.set $xg (f32x4.add (local.get $xg) (f32x4.mul (local.get $xw) (local.get $vl2))))
        (local.set $xm
          (f32x4.add
            (f32x4.mul (v128.load align=4 (i32.add (local.get $m) (local.get $o))) (local.get $vb1))
            (f32x4.mul (local.get $xg) (local.get $vc1))))
        (local.set $xv
          (f32x4.add
            (f32x4.mul (v128.load align=4 (i32.add (local.get $v) (local.get $o))) (local.get $vb2))
            (f32x4.mul (f32x4.mul (local.get $xg) (local.get $xg)) (local.get $vc2))))
        (v128.store align=4 (i32.add (local.get $mo) (local.get $o)) (local.get $xm))
        (v128.store align=4 (i32.add (local.get $vo) (local.get $o)) (local.get $xv))
        (v128.store align=4 (i32.add (local.get $wo) (local.get $o))
          (f32x4.sub
            (f32x4.mul (local.get $xw) (local.get $vkeep))
            (f32x4.mul
              (f32x4.div
                (local.get $xm)
                (f32x4.add (f32x4.div (f32x4.sqrt (local.get $xv)) (local.get $vbias2)) (local.get $veps)))
              (local.get $vstep))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vec)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $sw (f32.load (i32.add (local.get $w) (local.get $o))))
        (local.set $sg
          (f32.add (f32.load (i32.add (local.get $g) (local.get $o))) (f32.mul (local.get $sw) (local.get $l2))))
        (local.set $sm
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m) (local.get $o))) (local.get $b1))
            (f32.mul (local.get $sg) (local.get $c1))))
        (local.set $sv
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $v) (local.get $o))) (local.get $b2))
            (f32.mul (f32.mul (local.get $sg) (local.get $sg)) (local.get $c2))))
        (f32.store (i32.add (local.get $mo) (local.get $o)) (local.get $sm))
        (f32.store (i32.add (local.get $vo) (local.get $o)) (local.get $sv))
        (f32.store (i32.add (local.get $wo) (local.get $o))
          (f32.sub
            (f32.mul (local.get $sw) (local.get $keep))
            (f32.mul
              (f32.div
                (local.get $sm)
                (f32.add (f32.div (f32.sqrt (local.get $sv)) (local.get $bias2)) (local.get $eps)))
              (local.get $step))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
  )

  ;; Max pooling over NHWC float32 that also records, for every output, the flat index into x of
  ;; its window's first maximum (row-major window order, as TensorFlow's gradient picks it).
  ;; Windows are clamped to the input; every window must hold at least one cell.
  (func (export "maxPoolArgmax")
    (param $x i32) (param $y i32) (param $arg i32)
    (param $batch i32) (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $yy i32) (local $xx i32) (local $ch i32)
    (local $y0 i32) (local $y1 i32) (local $x0 i32) (local $x1 i32) (local $first i32)
    (local $base i32) (local $o i32) (local $idx i32) (local $val f32)
    (local $py i32) (local $pa i32) (local $vx v128) (local $vidx v128) (local $vcur v128) (local $vmask v128)
    (local.set $o (i32.const 0))
    (local.set $b (i32.const 0))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
        (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)))
        (local.set $y1 (i32.add (local.get $y0) (local.get $fh)))
        (if (i32.lt_s (local.get $y0) (i32.const 0)) (then (local.set $y0 (i32.const 0))))
        (if (i32.gt_s (local.get $y1) (local.get $h)) (then (local.set $y1 (local.get $h))))
        (local.set $ox (i32.const 0))
        (block $oxDone (loop $oxLoop
          (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
          (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
          (local.set $x1 (i32.add (local.get $x0) (local.get $fw)))
          (if (i32.lt_s (local.get $x0) (i32.const 0)) (then (local.set $x0 (i32.const 0))))
          (if (i32.gt_s (local.get $x1) (local.get $w)) (then (local.set $x1 (local.get $w))))
          (local.set $first (i32.const 1))
          (local.set $yy (local.get $y0))
          (block $yyDone (loop $yyLoop
            (br_if $yyDone (i32.ge_s (local.get $yy) (local.get $y1)))
            (local.set $xx (local.get $x0))
            (block $xxDone (loop $xxLoop
              (br_if $xxDone (i32.ge_s (local.get $xx) (local.get $x1)))
              ;; base = ((b*h + yy)*w + xx)*c
              (local.set $base
                (i32.mul
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $yy)) (local.get $w))
                    (local.get $xx))
                  (local.get $c)))
              (local.set $ch (i32.const 0))
              ;; four channels at a time: compare, then select value and index lane by lane
              (block $vDone (loop $vLoop
                (br_if $vDone (i32.gt_u (i32.add (local.get $ch) (i32.const 4)) (local.get $c)))
                (local.set $idx (i32.add (local.get $base) (local.get $ch)))
                (local.set $vx (v128.load align=4 (i32.add (local.get $x) (i32.shl (local.get $idx) (i32.const 2)))))
                (local.set $vidx (i32x4.add (i32x4.splat (local.get $idx)) (v128.const i32x4 0 1 2 3)))
                (local.set $py (i32.add (local.get $y) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2))))
                (local.set $pa (i32.add (local.get $arg) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2))))
                (if (local.get $first)
                  (then
                    (v128.store align=4 (local.get $py) (local.get $vx))
                    (v128.store align=4 (local.get $pa) (local.get $vidx)))
                  (else
                    (local.set $vcur (v128.load align=4 (local.get $py)))
                    (local.set $vmask (f32x4.gt (local.get $vx) (local.get $vcur)))
                    (v128.store align=4 (local.get $py) (v128.bitselect (local.get $vx) (local.get $vcur) (local.get $vmask)))
                    (v128.store align=4 (local.get $pa)
                      (v128.bitselect (local.get $vidx) (v128.load align=4 (local.get $pa)) (local.get $vmask)))))
                (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
                (br $vLoop)))
              (block $chDone (loop $chLoop
                (br_if $chDone (i32.ge_u (local.get $ch) (local.get $c)))
                (local.set $idx (i32.add (local.get $base) (local.get $ch)))
                (local.set $val (f32.load (i32.add (local.get $x) (i32.shl (local.get $idx) (i32.const 2)))))
                (if
                  (i32.or (local.get $first)
                    (f32.gt (local.get $val)
                      (f32.load (i32.add (local.get $y) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2))))))
                  (then
                    (f32.store (i32.add (local.get $y) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2)))
                      (local.get $val))
                    (i32.store (i32.add (local.get $arg) (i32.shl (i32.add (local.get $o) (local.get $ch)) (i32.const 2)))
                      (local.get $idx))))
                (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
                (br $chLoop)))
              (local.set $first (i32.const 0))
              (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
              (br $xxLoop)))
            (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
            (br $yyLoop)))
          (local.set $o (i32.add (local.get $o) (local.get $c)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop)))
  )

  ;; The gradient of maxPoolArgmax: dx = 0, then dx[arg[i]] += dy[i] for the n outputs.
  (func (export "maxPoolArgmaxGrad")
    (param $dy i32) (param $arg i32) (param $dx i32) (param $n i32) (param $nx i32)
    (local $i i32) (local $at i32)
    (block $zDone (loop $zLoop
      (br_if $zDone (i32.ge_u (local.get $i) (local.get $nx)))
      (f32.store (i32.add (local.get $dx) (i32.shl (local.get $i) (i32.const 2))) (f32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $zLoop)))
    (local.set $i (i32.const 0))
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $at
        (i32.add (local.get $dx)
          (i32.shl (i32.load (i32.add (local.get $arg) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))
      (f32.store (local.get $at)
        (f32.add (f32.load (local.get $at))
          (f32.load (i32.add (local.get $dy) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $loop)))
  )
)
