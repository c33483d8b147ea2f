package pii

// RFC 5321 §4.5.3.1 limits.
const (
	maxLocal  = 64
	maxDomain = 255
	maxLabel  = 63
)

func isLocalChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '*'
}

// atEmail handles the '@' at b[i].
func (s *Scanner) atEmail(i int) int {
	b := s.b
	j := i
	lo := i - maxLocal - 1
	if lo < s.lastEnd {
		lo = s.lastEnd
	}
	for j > lo && isLocalChar(b[j-1]) {
		j--
	}
	if j > 0 && j == i-maxLocal-1 && isLocalChar(b[j-1]) {
		return i + 1 // local part too long
	}
	for j < i && (b[j] == '.' || b[j] == '-' || b[j] == '+') {
		j++
	}
	if j == i || b[i-1] == '.' {
		return i + 1
	}
	k, label, lastDot := i+1, 0, -1
	for k < len(b) && k-i-1 < maxDomain {
		c := b[k]
		if isAlnum(c) || c == '-' {
			label++
			if label > maxLabel {
				return i + 1
			}
			k++
			continue
		}
		if c == '.' && label > 0 && b[k-1] != '-' && k+1 < len(b) && isAlnum(b[k+1]) {
			lastDot, label = k, 0
			k++
			continue
		}
		break
	}
	if lastDot < 0 || k-lastDot-1 < 2 || b[k-1] == '-' {
		return i + 1
	}
	for _, c := range b[lastDot+1 : k] {
		if !isAlpha(c) {
			return i + 1
		}
	}
	masked := false
	for _, c := range b[j:i] {
		if c == '*' {
			masked = true
		}
	}
	if b[j] == '*' {
		return i + 1
	}
	s.emit(Finding{Type: Email, Start: j, End: k, Confidence: High, Masked: masked})
	return k
}
