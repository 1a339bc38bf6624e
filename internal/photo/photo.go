// Package photo stores case photos content-addressed on disk and makes the
// public copy of each: the same image with its embedded metadata (Exif, and
// with it the GPS position of the reporter's phone) removed, without
// re-encoding the pixels.
package photo

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/wangge/wangge"
)

// MaxSize is the largest photo accepted.
const MaxSize = 10 << 20

// Types are the accepted image types.
var Types = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

// Store keeps photos under Dir, named by the SHA-256 of their content.
type Store struct{ Dir string }

// Saved is what Put stored.
type Saved struct {
	SHA256       string `json:"sha256"`        // the original, for staff
	PublicSHA256 string `json:"public_sha256"` // metadata removed, for the public
	Type         string `json:"type"`
	Size         int    `json:"size"`
}

// Put checks an upload (type sniffed from the bytes, not trusted from the
// client; size) and stores the original and the public copy.
func (s *Store) Put(data []byte) (Saved, error) {
	if len(data) > MaxSize {
		return Saved{}, wangge.Errorf(wangge.ETOOLARGE, "a photo may be at most %d MB", MaxSize>>20)
	}
	typ := http.DetectContentType(data)
	if _, ok := Types[typ]; !ok {
		return Saved{}, wangge.FieldError("photo", "must be a JPEG, PNG or WebP image")
	}
	public, err := StripMetadata(data, typ)
	if err != nil {
		return Saved{}, wangge.FieldError("photo", "damaged image: "+err.Error())
	}
	orig, err := s.write(data)
	if err != nil {
		return Saved{}, err
	}
	pub, err := s.write(public)
	if err != nil {
		return Saved{}, err
	}
	return Saved{SHA256: orig, PublicSHA256: pub, Type: typ, Size: len(data)}, nil
}

func (s *Store) path(sum string) string { return filepath.Join(s.Dir, sum[:2], sum[2:4], sum) }

func (s *Store) write(data []byte) (string, error) {
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	p := s.path(sum)
	if _, err := os.Stat(p); err == nil {
		return sum, nil // the same bytes are already there
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return sum, os.Rename(tmp.Name(), p)
}

// Open returns the bytes of a stored photo.
func (s *Store) Open(sum string) ([]byte, error) {
	if len(sum) != 64 {
		return nil, wangge.Errorf(wangge.ENOTFOUND, "photo not found")
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return nil, wangge.Errorf(wangge.ENOTFOUND, "photo not found")
	}
	data, err := os.ReadFile(s.path(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, wangge.Errorf(wangge.ENOTFOUND, "photo not found")
	}
	return data, err
}

// StripMetadata returns the image without its metadata blocks: JPEG APP1
// (Exif, XMP) and APP13 (IPTC) segments, PNG eXIf/tEXt/iTXt/zTXt chunks,
// WebP EXIF/XMP chunks.
func StripMetadata(data []byte, typ string) ([]byte, error) {
	switch typ {
	case "image/jpeg":
		return stripJPEG(data)
	case "image/png":
		return stripPNG(data)
	case "image/webp":
		return stripWebP(data)
	}
	return nil, fmt.Errorf("unsupported type %s", typ)
}

func stripJPEG(data []byte) ([]byte, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, errors.New("not a JPEG")
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)))
	out.Write(data[:2])
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return nil, errors.New("bad JPEG marker")
		}
		marker := data[i+1]
		if marker == 0xDA { // start of scan: the rest is image data
			out.Write(data[i:])
			return out.Bytes(), nil
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil, errors.New("truncated JPEG segment")
		}
		if marker != 0xE1 && marker != 0xED { // APP1 Exif/XMP, APP13 IPTC
			out.Write(data[i : i+2+n])
		}
		i += 2 + n
	}
	return nil, errors.New("JPEG without image data")
}

func stripPNG(data []byte) ([]byte, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(data) < 8 || string(data[:8]) != sig {
		return nil, errors.New("not a PNG")
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)))
	out.Write(data[:8])
	i := 8
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		if n < 0 || i+12+n > len(data) {
			return nil, errors.New("truncated PNG chunk")
		}
		typ := string(data[i+4 : i+8])
		switch typ {
		case "eXIf", "tEXt", "iTXt", "zTXt":
		default:
			out.Write(data[i : i+12+n])
		}
		i += 12 + n
		if typ == "IEND" {
			return out.Bytes(), nil
		}
	}
	return nil, errors.New("PNG without IEND")
}

func stripWebP(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, errors.New("not a WebP")
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)))
	out.Write(data[:12])
	i := 12
	for i+8 <= len(data) {
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		padded := n + n%2
		if n < 0 || i+8+padded > len(data) {
			return nil, errors.New("truncated WebP chunk")
		}
		switch string(data[i : i+4]) {
		case "EXIF", "XMP ":
		default:
			out.Write(data[i : i+8+padded])
		}
		i += 8 + padded
	}
	b := out.Bytes()
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b, nil
}
