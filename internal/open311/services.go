package open311

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/wangge/wangge"
)

// changeset is when this interface last changed, for discovery.
const changeset = "2026-07-30T00:00:00+08:00"

// discovery is the service discovery document.
type discovery struct {
	XMLName    xml.Name   `json:"-" xml:"discovery"`
	Changeset  string     `json:"changeset" xml:"changeset"`
	Contact    string     `json:"contact" xml:"contact"`
	KeyService string     `json:"key_service" xml:"key_service"`
	Endpoints  []endpoint `json:"endpoints" xml:"endpoints>endpoint"`
	Extensions []string   `json:"extensions" xml:"extensions>extension"`
}

// endpoint is one endpoint of the discovery document.
type endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, f format) error {
	base := h.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		base = scheme + "://" + r.Host + strings.TrimSuffix(Prefix, "/")
	}
	d := discovery{
		Changeset:  changeset,
		Contact:    h.Contact,
		KeyService: "API keys are issued by the administrators of the platform.",
		Endpoints: []endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: base, Changeset: changeset,
			Type: "production", Formats: []string{"text/xml", "application/json"}}},
		Extensions: []string{
			"GET requests: page (from 1) and page_size (1 to 1000, default 1000); X-Total-Count gives the number of matches",
			"POST requests: idempotency_key (or the Idempotency-Key header) files a retried request once",
			"start_date and end_date also take a plain date (YYYY-MM-DD, China time)",
		},
	}
	write(w, http.StatusOK, f, d, d)
	return nil
}

// service is one service type: a leaf category of the case catalogue.
type service struct {
	ServiceCode string `json:"service_code" xml:"service_code"`
	ServiceName string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

// serviceList is the XML root of the service list.
type serviceList struct {
	XMLName  xml.Name  `xml:"services"`
	Services []service `xml:"service"`
}

func (h *Handler) services(w http.ResponseWriter, r *http.Request, f format) error {
	cat, err := h.DB.Catalogue(r.Context())
	if err != nil {
		return err
	}
	majors := map[string]*wangge.Category{}
	out := []service{}
	for i := range cat.Categories {
		c := &cat.Categories[i]
		if !c.Leaf() {
			majors[c.Code] = c
			continue
		}
		s := service{ServiceCode: c.Code, ServiceName: c.NameEN, Description: c.NameZH, Type: "realtime"}
		if c.FilingCondition != "" {
			s.Description += "：" + c.FilingCondition
		}
		keywords := []string{string(c.Kind)}
		if m := majors[c.Code[:2]]; m != nil {
			s.Group = m.NameEN
			keywords = append(keywords, m.NameZH)
		}
		s.Keywords = strings.Join(append(keywords, c.NameZH), ",")
		out = append(out, s)
	}
	write(w, http.StatusOK, f, out, serviceList{Services: out})
	return nil
}

// serviceDefinition describes the extra attributes of a service type; the
// catalogue defines none, so the list is always empty.
type serviceDefinition struct {
	XMLName     xml.Name      `json:"-" xml:"service_definition"`
	ServiceCode string        `json:"service_code" xml:"service_code"`
	Attributes  attributeList `json:"attributes" xml:"attributes"`
}

// attribute is an extra field of a service type.
type attribute struct {
	Variable    bool   `json:"variable" xml:"variable"`
	Code        string `json:"code" xml:"code"`
	Datatype    string `json:"datatype" xml:"datatype"`
	Required    bool   `json:"required" xml:"required"`
	Order       int    `json:"order" xml:"order"`
	Description string `json:"description" xml:"description"`
}

// attributeList is written as <attributes><attribute>...</attribute></attributes>,
// an empty <attributes> element when there are none.
type attributeList []attribute

// MarshalXML writes the list inside its own element.
func (l attributeList) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, a := range l {
		if err := e.EncodeElement(a, xml.StartElement{Name: xml.Name{Local: "attribute"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func (h *Handler) definition(w http.ResponseWriter, r *http.Request, code string, f format) error {
	c, err := h.Cases.Category(r.Context(), code)
	if wangge.ErrorCode(err) == wangge.EINVALID {
		return wangge.Errorf(wangge.ENOTFOUND, "service_code %q not found", code)
	}
	if err != nil {
		return err
	}
	d := serviceDefinition{ServiceCode: c.Code, Attributes: attributeList{}}
	write(w, http.StatusOK, f, d, d)
	return nil
}
