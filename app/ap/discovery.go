package ap

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// JRD is a JSON Resource Descriptor: a WebFinger answer, or the link list at
// /.well-known/nodeinfo. The same type serves what we send and what we read.
type JRD struct {
	Subject string    `json:"subject,omitempty"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []JRDLink `json:"links"`
}

// JRDLink is one link of a JRD.
type JRDLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// Link relations the federation code looks for.
const (
	RelSelf        = "self"
	RelProfilePage = "http://webfinger.net/rel/profile-page"
	RelSubscribe   = "http://ostatus.org/schema/1.0/subscribe"
	RelNodeInfo20  = "http://nodeinfo.diaspora.software/ns/schema/2.0"
	RelNodeInfo21  = "http://nodeinfo.diaspora.software/ns/schema/2.1"
)

// ParseJRD reads a WebFinger or nodeinfo discovery document.
func ParseJRD(raw []byte) (*JRD, error) {
	var j JRD
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotJSONObject, err)
	}
	if len(j.Links) > maxListScan {
		j.Links = j.Links[:maxListScan]
	}
	return &j, nil
}

// ActorURL is the ActivityStreams actor a WebFinger answer points to.
func (j *JRD) ActorURL() string {
	for _, l := range j.Links {
		if l.Rel == RelSelf && (l.Type == ContentTypeActivityJSON || IsActivityContentType(l.Type)) {
			return keepURL(l.Href)
		}
	}
	return ""
}

// Href returns the href of the first link with relation rel.
func (j *JRD) Href(rel string) string {
	for _, l := range j.Links {
		if l.Rel == rel {
			return keepURL(l.Href)
		}
	}
	return ""
}

// NodeInfo is a NodeInfo 2.0 or 2.1 document, what we serve and read.
type NodeInfo struct {
	Version           string           `json:"version"`
	Software          NodeInfoSoftware `json:"software"`
	Protocols         []string         `json:"protocols"`
	Services          NodeInfoServices `json:"services"`
	OpenRegistrations bool             `json:"openRegistrations"`
	Usage             NodeInfoUsage    `json:"usage"`
	Metadata          map[string]any   `json:"metadata"`
}

// NodeInfoSoftware names the server software.
type NodeInfoSoftware struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository,omitempty"`
	Homepage   string `json:"homepage,omitempty"`
}

// NodeInfoServices lists third-party services a server bridges to.
type NodeInfoServices struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

// NodeInfoUsage counts users and posts.
type NodeInfoUsage struct {
	Users      NodeInfoUsers `json:"users"`
	LocalPosts int           `json:"localPosts,omitempty"`
}

// NodeInfoUsers counts users.
type NodeInfoUsers struct {
	Total          int `json:"total"`
	ActiveMonth    int `json:"activeMonth,omitempty"`
	ActiveHalfyear int `json:"activeHalfyear,omitempty"`
}

// ParseNodeInfo reads a NodeInfo document.
func ParseNodeInfo(raw []byte) (*NodeInfo, error) {
	var n NodeInfo
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotJSONObject, err)
	}
	return &n, nil
}

// Host returns the host of an id as we compare hosts: lower-cased, in its
// ASCII (IDNA) form, with a port only if it is not the scheme's default.
// "An object from host X is accepted only from an actor on host X" rests on
// this comparison, so two spellings of one host must give one answer.
func Host(id string) (string, error) {
	u, err := url.Parse(id)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("ap: %q has no host", id)
	}
	name := strings.TrimSuffix(u.Hostname(), ".")
	if addr, err := netip.ParseAddr(name); err == nil {
		name = addr.String()
	} else if name, err = idna.Lookup.ToASCII(name); err != nil {
		return "", fmt.Errorf("ap: host of %q: %w", id, err)
	}
	name = strings.ToLower(name)
	port := u.Port()
	if (port == "443" && u.Scheme == "https") || (port == "80" && u.Scheme == "http") {
		port = ""
	}
	if port != "" {
		if strings.Contains(name, ":") {
			name = "[" + name + "]"
		}
		return name + ":" + port, nil
	}
	return name, nil
}

// SameHost reports whether two ids are on the same host; an unreadable id is
// on no host.
func SameHost(a, b string) bool {
	ha, err := Host(a)
	if err != nil {
		return false
	}
	hb, err := Host(b)
	return err == nil && ha == hb
}
