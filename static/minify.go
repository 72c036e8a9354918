package static

// minifyCSS drops comments and the white space a stylesheet does not
// need (around { } ; , > and after :, and the last ; of a block), leaving
// strings untouched. static/style.css stays written for people; what is
// served is the same rules, smaller.
func minifyCSS(in []byte) []byte {
	out := make([]byte, 0, len(in))
	space := false // white space seen and not yet written
	dropAfter := func() bool {
		if len(out) == 0 {
			return true
		}
		switch out[len(out)-1] {
		case '{', '}', ';', ',', '>', ':':
			return true
		}
		return false
	}
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			end := indexFrom(in, i+2, "*/")
			if end < 0 {
				return out
			}
			i = end + 1
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			space = true
			continue
		}
		if space {
			space = false
			switch c {
			case '{', '}', ';', ',', '>':
			default:
				if !dropAfter() {
					out = append(out, ' ')
				}
			}
		}
		if c == '}' && len(out) > 0 && out[len(out)-1] == ';' {
			out = out[:len(out)-1]
		}
		out = append(out, c)
		if c == '"' || c == '\'' {
			for i++; i < len(in); i++ {
				out = append(out, in[i])
				if in[i] == '\\' && i+1 < len(in) {
					i++
					out = append(out, in[i])
					continue
				}
				if in[i] == c {
					break
				}
			}
		}
	}
	return out
}

func indexFrom(b []byte, from int, sep string) int {
	for i := from; i+len(sep) <= len(b); i++ {
		if string(b[i:i+len(sep)]) == sep {
			return i
		}
	}
	return -1
}
