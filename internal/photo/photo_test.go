package photo_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/photo"
)

// jpegWithGPS returns a real JPEG with an APP1 Exif segment carrying a
// marker string in place of GPS data.
func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := 0; x < 16; x++ {
		img.Set(x, x, color.RGBA{200, 0, 0, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	enc := buf.Bytes()
	payload := []byte("Exif\x00\x00GPSLatitude=26.4720,GPSLongitude=116.0188")
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	return append(append(append([]byte{}, enc[:2]...), seg...), enc[2:]...)
}

func TestPutStripsLocation(t *testing.T) {
	s := &photo.Store{Dir: t.TempDir()}
	data := jpegWithGPS(t)
	saved, err := s.Put(data)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Type != "image/jpeg" || saved.SHA256 == saved.PublicSHA256 {
		t.Fatalf("saved = %+v", saved)
	}
	orig, _ := s.Open(saved.SHA256)
	pub, _ := s.Open(saved.PublicSHA256)
	if !bytes.Equal(orig, data) || !bytes.Contains(orig, []byte("GPSLatitude")) {
		t.Error("the original must be kept as uploaded")
	}
	if bytes.Contains(pub, []byte("GPSLatitude")) || bytes.Contains(pub, []byte("Exif")) {
		t.Error("the public copy still carries the location")
	}
	if _, err := jpeg.Decode(bytes.NewReader(pub)); err != nil {
		t.Errorf("the public copy no longer decodes: %v", err)
	}
	// The same upload again is the same files.
	again, _ := s.Put(data)
	if again != saved {
		t.Errorf("second put %+v", again)
	}
}

func TestPNGAndRefusals(t *testing.T) {
	s := &photo.Store{Dir: t.TempDir()}
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4)))
	enc := buf.Bytes()
	// Insert a tEXt chunk after IHDR (8 + 25 bytes).
	chunk := []byte{0, 0, 0, 12, 't', 'E', 'X', 't'}
	chunk = append(chunk, []byte("GPS\x0026.47,11")...)
	chunk = append(chunk, 0, 0, 0, 0) // CRC is not checked by the decoder of the public copy test
	withText := append(append(append([]byte{}, enc[:33]...), chunk...), enc[33:]...)
	saved, err := s.Put(withText)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := s.Open(saved.PublicSHA256)
	if bytes.Contains(pub, []byte("GPS")) {
		t.Error("PNG text chunk kept")
	}
	if _, err := png.Decode(bytes.NewReader(pub)); err != nil {
		t.Errorf("public PNG does not decode: %v", err)
	}
	if _, err := s.Put([]byte("%PDF-1.4 not an image")); wangge.ErrorFields(err)["photo"] == "" {
		t.Errorf("a PDF accepted: %v", err)
	}
	if _, err := s.Put(append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, make([]byte, 600)...)); wangge.ErrorCode(err) != wangge.EINVALID {
		t.Errorf("truncated JPEG: %v", err)
	}
	if _, err := s.Put(make([]byte, photo.MaxSize+1)); wangge.ErrorCode(err) != wangge.ETOOLARGE {
		t.Errorf("oversized: %v", err)
	}
	if _, err := s.Open("../../etc/passwd"); wangge.ErrorCode(err) != wangge.ENOTFOUND {
		t.Errorf("path escape: %v", err)
	}
}

func FuzzStripMetadata(f *testing.F) {
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 4, 1, 2, 0xFF, 0xDA}, "image/jpeg")
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x00IEND\x00\x00\x00\x00"), "image/png")
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPEXIF\x02\x00\x00\x00ab"), "image/webp")
	f.Fuzz(func(t *testing.T, data []byte, typ string) {
		out, err := photo.StripMetadata(data, typ)
		if err == nil && len(out) > len(data) {
			t.Fatalf("stripping grew the image: %d > %d", len(out), len(data))
		}
	})
}
