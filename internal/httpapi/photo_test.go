package httpapi_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

func multipartPhoto(t *testing.T, data []byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("photo", "IMG_0001.jpg")
	fw.Write(data)
	mw.Close()
	return &body, mw.FormDataContentType()
}

func TestCasePhotos(t *testing.T) {
	e := newEnv(t, sqlstoretest.MustOpenDB(t, t.TempDir()+"/api.db"))
	for _, code := range catalogue.Departments(catalogue.Default()) {
		e.do("admin", "POST", "/api/v1/departments", map[string]string{"code": code, "name_zh": code, "name_en": code, "unit_code": "360730"}, 201, nil)
	}
	e.do("admin", "PUT", "/api/v1/catalogue", catalogue.Default(), 200, nil)
	var c caseJSON
	e.do("gw1", "POST", "/api/v1/cases", map[string]any{"category": "1001", "description": "井盖缺失", "lat": 26.45, "lon": 116.02}, 201, &c)

	var img bytes.Buffer
	jpeg.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	payload := []byte("Exif\x00\x00GPSLatitude=26.45")
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	data := append(append(append([]byte{}, img.Bytes()[:2]...), append(seg, payload...)...), img.Bytes()[2:]...)

	upload := func(user string, data []byte, want int) {
		t.Helper()
		body, ct := multipartPhoto(t, data)
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/cases/"+itoa(c.ID)+"/photos", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("upload as %s: %d %s", user, resp.StatusCode, out)
		}
	}
	upload("gw1", data, 201)
	upload("gw2", data, 404)
	upload("gw1", []byte("%PDF-1.7 pretending"), 400)

	var list []map[string]any
	e.do("gw1", "GET", "/api/v1/cases/"+itoa(c.ID)+"/photos", nil, 200, &list)
	if len(list) != 1 {
		t.Fatalf("photos %v", list)
	}
	pub := e.do("gw1", "GET", "/api/v1/photos/"+list[0]["public_sha256"].(string), nil, 200, nil)
	if bytes.Contains(pub, []byte("GPSLatitude")) {
		t.Error("public copy keeps the location")
	}
	orig := e.do("gw1", "GET", "/api/v1/photos/"+list[0]["sha256"].(string), nil, 200, nil)
	if !bytes.Equal(orig, data) {
		t.Error("original changed")
	}
	e.do("gw2", "GET", "/api/v1/photos/"+list[0]["sha256"].(string), nil, 404, nil)
	var tl []wangge.CaseEvent
	e.do("gw1", "GET", "/api/v1/cases/"+itoa(c.ID)+"/timeline", nil, 200, &tl)
	if tl[len(tl)-1].Action != "photo" {
		t.Errorf("timeline %+v", tl)
	}
}
