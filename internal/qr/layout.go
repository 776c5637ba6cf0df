package qr

// layout places a symbol in a PNG of o.Size pixels: whole-pixel modules,
// centred, with the pixels left over by the division added to the quiet
// zone. A caption adds a band below, so the image is Size wide and
// Size+band high; the code itself is drawn exactly as without a caption, so
// adding one never makes a code harder to scan.
type layout struct {
	modules int // symbol plus quiet zone, in modules, along each side
	px      int // pixels per module
	offset  int // pixels before the first module of the quiet zone, on both axes
	band    int // caption band height in pixels, 0 without caption
}

func newLayout(n int, o Options) (layout, error) {
	modules := n + 2*o.Margin
	px := o.Size / modules
	if px < 1 {
		return layout{}, optionErr("size", "too small for this content and margin: %d modules need at least %d pixels", modules, modules)
	}
	l := layout{modules: modules, px: px, offset: (o.Size - modules*px) / 2}
	if o.Caption != "" {
		l.band = captionBand(o.Size)
	}
	return l, nil
}

// captionBand is the height in pixels of the caption band under a code
// Size pixels wide: an eighth of it, and never less than 16 pixels, the
// least in which text stays legible on screen.
func captionBand(size int) int {
	return max(16, size/8)
}
