package pii

// RFC 5321 §4.5.3.1 limits.
const (
	maxLocal  = 64
	maxDomain = 255
	maxLabel  = 63
)

// atEmail handles the '@' at b[i].
func (s *Scanner) atEmail(i int) int {
	b := s.b
	// The local part, backwards from the '@'.
	j, masked := i, false
	for lo := max(i-maxLocal-1, s.lastEnd); j > lo && charClass[b[j-1]]&clsLocal != 0; {
		j--
		masked = masked || b[j] == '*'
	}
	if j > 0 && j == i-maxLocal-1 && charClass[b[j-1]]&clsLocal != 0 {
		return i + 1 // local part too long
	}
	for j < i && (b[j] == '.' || b[j] == '-' || b[j] == '+') {
		j++
	}
	if j == i || b[i-1] == '.' || b[j] == '*' {
		return i + 1
	}
	// The domain: labels of letters, digits and '-' joined by dots.
	end := min(len(b), i+1+maxDomain)
	k, lastDot := i+1, -1
	for {
		ls := k
		for k < end && charClass[b[k]]&clsLabel != 0 {
			k++
		}
		if k-ls > maxLabel {
			return i + 1
		}
		if k < end && b[k] == '.' && k > ls && b[k-1] != '-' && k+1 < len(b) && isAlnum(b[k+1]) {
			lastDot = k
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
	s.emit(Finding{Type: Email, Start: j, End: k, Confidence: High, Masked: masked})
	return k
}
