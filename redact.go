package wangge

import (
	"strings"
	"unicode/utf8"
)

// MaskText masks the personal numbers a free text may hold, for showing a
// resident's description to the public: mobile numbers (11 digits from 1,
// shown 138****5678), resident ID numbers (15 or 18 characters, shown as
// MaskIDNumber does), landlines with their area code (0 and 9 to 11 more
// digits) and bare landlines of 7 or 8 digits (all but the last four
// masked). Digits may be ASCII or full-width, and a number may be written
// in groups joined by single hyphens or spaces ("138 1234 5678",
// "0797-1234567"). Other numbers stay: amounts, house numbers, years, and
// 8-digit dates (20251103), which a case number also carries.
func MaskText(s string) string {
	if !hasDigitRun(s, 7) {
		return s // the common case: nothing long enough to be a number of a person
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if _, ok := digitOf(r); !ok || i > 0 && endsInWordChar(s[:i]) {
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		end, digits := numberAt(s, i)
		b.WriteString(maskGroups(s[i:end], digits))
		i = end
	}
	return b.String()
}

// numberAt reads the number starting at i: digits in groups joined by a
// single hyphen or space. It returns where the number ends and its digits.
func numberAt(s string, i int) (end int, digits []byte) {
	end = i
	for j := i; j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		if d, ok := digitOf(r); ok {
			digits = append(digits, d)
			j += size
			end = j
			continue
		}
		if (r == '-' || r == ' ') && j+1 < len(s) {
			if _, ok := digitOf(firstRune(s[j+1:])); ok && j > i {
				j += size
				continue
			}
		}
		break
	}
	// A trailing X ends an 18-character ID number.
	if len(digits) == 17 && end < len(s) && (s[end] == 'X' || s[end] == 'x') {
		digits = append(digits, 'X')
		end++
	}
	return end, digits
}

// maskGroups masks a number written in groups as a whole or, when the
// whole is no personal number ("2 13812345678": a count, then a phone),
// group by group.
func maskGroups(text string, digits []byte) string {
	if m, ok := maskNumber(text, digits); ok || !strings.ContainsAny(text, "- ") {
		return m
	}
	var b strings.Builder
	for len(text) > 0 {
		k := strings.IndexAny(text, "- ")
		if k < 0 {
			k = len(text)
		}
		_, d := numberAt(text[:k], 0)
		m, _ := maskNumber(text[:k], d)
		b.WriteString(m)
		if k < len(text) {
			b.WriteByte(text[k])
			k++
		}
		text = text[k:]
	}
	return b.String()
}

// maskNumber masks the number text (with its separators) whose digits are
// given; ok is false, and text comes back as it is, when it is none of the
// numbers MaskText masks.
func maskNumber(text string, digits []byte) (masked string, ok bool) {
	n := len(digits)
	var head, tail int
	switch {
	case n == 11 && digits[0] == '1':
		head, tail = 3, 4 // mobile
	case n == 18 || n == 15:
		head, tail = 3, 4 // resident ID number
	case n >= 10 && n <= 12 && digits[0] == '0':
		head, tail = 0, 4 // landline with area code
	case n == 7 || n == 8 && !isDate(digits):
		head, tail = 0, 4 // landline
	default:
		return text, false
	}
	var b strings.Builder
	k := 0
	for _, r := range text {
		if _, ok := digitOf(r); ok || r == 'X' || r == 'x' {
			if k >= head && k < n-tail {
				b.WriteByte('*')
			} else {
				b.WriteRune(r)
			}
			k++
			continue
		}
		b.WriteRune(r)
	}
	return b.String(), true
}

// isDate reports whether 8 digits read as a date from 1900 to 2099.
func isDate(d []byte) bool {
	num := func(b []byte) int {
		v := 0
		for _, c := range b {
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, m, day := num(d[:4]), num(d[4:6]), num(d[6:])
	return y >= 1900 && y < 2100 && m >= 1 && m <= 12 && day >= 1 && day <= 31
}

// digitOf returns the ASCII digit of an ASCII or full-width digit.
func digitOf(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r), true
	case r >= '０' && r <= '９':
		return byte(r-'０') + '0', true
	}
	return 0, false
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// endsInWordChar reports whether s ends in a digit or an ASCII letter: a
// number inside a longer token (a code such as A1234567) is not a phone.
func endsInWordChar(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	_, digit := digitOf(r)
	return digit || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// hasDigitRun reports whether s has at least n digits in one number,
// counting groups joined by a hyphen or space, cheaply.
func hasDigitRun(s string, n int) bool {
	run := 0
	for _, r := range s {
		if _, ok := digitOf(r); ok {
			run++
			if run >= n {
				return true
			}
		} else if r != '-' && r != ' ' {
			run = 0
		}
	}
	return false
}
