package picture

import (
	"image"
	"image/draw"
)

// shrink scales src down to dw×dh by averaging, for every picture pixel,
// the source area it covers (a box filter, what browsers do to shrink).
// It reads the source one row at a time and keeps one row of sums, so
// that its memory is a few rows whatever the source's size: the kernel
// scalers of x/image/draw keep a float buffer of dw×sh×32 bytes, 320 MB
// for a 40-megapixel source, which is what this avoids. dw and dh are at
// most the source's width and height.
func shrink(src image.Image, dw, dh int) *image.RGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	if dw == sw && dh == sh {
		draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Src)
		return dst
	}
	// In units where a source pixel is dw wide, a picture column is sw
	// wide; likewise dh and sh vertically. A source pixel then overlaps
	// one or two picture columns (and rows), with integer weights.
	row := image.NewRGBA(image.Rect(0, 0, sw, 1))
	across := make([]float64, dw*4) // one source row, summed across
	sums := make([]float64, dw*4)   // the picture row being built
	area := float64(sw) * float64(sh)
	i := 0 // picture row being built
	for sy := 0; sy < sh; sy++ {
		draw.Draw(row, row.Bounds(), src, image.Pt(b.Min.X, b.Min.Y+sy), draw.Src)
		clear(across)
		for sx := 0; sx < sw; sx++ {
			p := row.Pix[sx*4 : sx*4+4]
			lo := sx * dw
			j := lo / sw
			edge := (j + 1) * sw
			w0 := float64(min(dw, edge-lo))
			k := j * 4
			across[k] += float64(p[0]) * w0
			across[k+1] += float64(p[1]) * w0
			across[k+2] += float64(p[2]) * w0
			across[k+3] += float64(p[3]) * w0
			if w1 := float64(lo + dw - edge); w1 > 0 {
				across[k+4] += float64(p[0]) * w1
				across[k+5] += float64(p[1]) * w1
				across[k+6] += float64(p[2]) * w1
				across[k+7] += float64(p[3]) * w1
			}
		}
		lo := sy * dh
		edge := (i + 1) * sh
		w0 := float64(min(dh, edge-lo))
		for k, v := range across {
			sums[k] += v * w0
		}
		if lo+dh >= edge {
			writeRow(dst, i, sums, area)
			i++
			clear(sums)
			if w1 := float64(lo + dh - edge); w1 > 0 {
				for k, v := range across {
					sums[k] += v * w1
				}
			}
		}
	}
	return dst
}

func writeRow(dst *image.RGBA, y int, sums []float64, area float64) {
	if y >= dst.Bounds().Dy() {
		return
	}
	out := dst.Pix[y*dst.Stride : y*dst.Stride+len(sums)]
	for k, v := range sums {
		out[k] = uint8(min(255, v/area+0.5))
	}
}
