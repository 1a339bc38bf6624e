package wangge

import (
	"strings"
	"time"
)

// IDNumber is what an 18-digit resident identity card number (GB 11643-1999)
// tells: the region code of first registration, the birth date and the sex.
type IDNumber struct {
	Number    string
	Region    string // 6-digit GB/T 2260 code
	BirthDate time.Time
	Sex       Sex
}

// Sex as recorded in the ID number: odd sequence digit male, even female.
type Sex string

// Sexes.
const (
	SexMale   Sex = "male"
	SexFemale Sex = "female"
)

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// IDCheckDigit computes the GB 11643 check character (ISO 7064 MOD 11-2) of
// the first 17 digits. ok is false if they are not 17 decimal digits.
func IDCheckDigit(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11], true
}

// ParseIDNumber validates an 18-character ID number: digits, a real birth
// date not in the future relative to now and not before 1900, and the check
// character (a lower-case x is accepted and normalised).
func ParseIDNumber(s string, now time.Time) (IDNumber, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 18 {
		return IDNumber{}, FieldError("id_number", "must be 18 characters")
	}
	want, ok := IDCheckDigit(s[:17])
	if !ok {
		return IDNumber{}, FieldError("id_number", "first 17 characters must be digits")
	}
	if s[6] != '1' && s[6] != '2' {
		return IDNumber{}, FieldError("id_number", "invalid birth date")
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1900 || birth.After(now) {
		return IDNumber{}, FieldError("id_number", "invalid birth date")
	}
	if s[2:6] == "0000" || s[:2] < "11" || s[:2] > "91" {
		return IDNumber{}, FieldError("id_number", "invalid region code")
	}
	if s[17] != want {
		return IDNumber{}, FieldError("id_number", "check digit mismatch")
	}
	sex := SexFemale
	if (s[16]-'0')%2 == 1 {
		sex = SexMale
	}
	return IDNumber{Number: s, Region: s[:6], BirthDate: birth, Sex: sex}, nil
}

// Age returns the age in whole years at now.
func Age(birth, now time.Time) int {
	y := now.Year() - birth.Year()
	if now.Month() < birth.Month() || now.Month() == birth.Month() && now.Day() < birth.Day() {
		y--
	}
	return y
}

// MaskIDNumber shows the first three and last four characters of an ID
// number: 110***********1234. Anything shorter than 8 is fully masked.
func MaskIDNumber(s string) string { return maskMiddle(s, 3, 4) }

// MaskPhone shows the first three and last four digits: 138****5678.
func MaskPhone(s string) string { return maskMiddle(s, 3, 4) }

func maskMiddle(s string, head, tail int) string {
	if s == "" {
		return ""
	}
	r := []rune(s)
	if len(r) < head+tail+1 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}
