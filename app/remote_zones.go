package app

// The time zone of a remote event. Mobilizon names it (timezone); Gancio
// sends only a UTC offset ("2027-02-11T18:00:00+01:00"), but publishes
// its server's zone in NodeInfo (metadata.nodeTimezone), which is the zone
// of its events. Without either, the offset itself is the zone: an
// event's time is never shown as "UTC" unless it was sent as UTC.

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// originZoneMaxAge is how long a host's published zone is remembered
// (also when it publishes none, so that we do not ask at every event).
const originZoneMaxAge = 24 * time.Hour

// maxOriginZones bounds the cache; past it, it starts again.
const maxOriginZones = 10000

type originZone struct {
	name      string
	fetchedAt time.Time
}

// remoteEventZone names the zone an event's times are shown in.
func (a *App) remoteEventZone(ctx context.Context, ev *ap.RemoteEvent) string {
	if ev.Timezone != "" {
		return ev.Timezone
	}
	_, offset := ev.StartTime.Zone()
	if host, err := ap.Host(ev.ID); err == nil {
		if name := a.originZone(ctx, host); name != "" {
			// The server's zone is taken only when it agrees with the
			// offset sent: an event elsewhere keeps its own offset.
			if _, at := ev.StartTime.In(store.LoadLocation(name)).Zone(); at == offset {
				return name
			}
		}
	}
	if offset == 0 {
		return "UTC" // sent as UTC
	}
	return store.OffsetZone(offset)
}

// originZone is the zone a host publishes in its NodeInfo, "" if none.
func (a *App) originZone(ctx context.Context, host string) string {
	now := a.now()
	a.fed.mu.Lock()
	z, ok := a.fed.zones[host]
	a.fed.mu.Unlock()
	if ok && now.Sub(z.fetchedAt) < originZoneMaxAge {
		return z.name
	}
	name := a.fetchNodeTimezone(ctx, host)
	a.fed.mu.Lock()
	if len(a.fed.zones) >= maxOriginZones {
		a.fed.zones = map[string]originZone{}
	}
	a.fed.zones[host] = originZone{name: name, fetchedAt: now}
	a.fed.mu.Unlock()
	return name
}

// fetchNodeTimezone reads metadata.nodeTimezone from a host's NodeInfo.
func (a *App) fetchNodeTimezone(ctx context.Context, host string) string {
	schemes := []string{"https"}
	if a.fed.unsafe {
		schemes = append(schemes, "http")
	}
	for _, scheme := range schemes {
		origin := scheme + "://" + host
		resp, err := a.fed.fetcher.Fetch(ctx, origin+"/.well-known/nodeinfo", "application/json", nil)
		if err != nil {
			continue
		}
		jrd, err := ap.ParseJRD(resp.Body)
		if err != nil {
			return ""
		}
		href := jrd.Href(ap.RelNodeInfo21)
		if href == "" {
			href = jrd.Href(ap.RelNodeInfo20)
		}
		if href == "" || !ap.SameHost(href, origin) {
			return ""
		}
		doc, err := a.fed.fetcher.Fetch(ctx, href, "application/json", nil)
		if err != nil {
			return ""
		}
		var info struct {
			Metadata struct {
				NodeTimezone string `json:"nodeTimezone"`
			} `json:"metadata"`
		}
		if json.Unmarshal(doc.Body, &info) != nil {
			return ""
		}
		name := strings.TrimSpace(info.Metadata.NodeTimezone)
		if name == "" || len(name) > 64 || name == "Local" {
			return ""
		}
		if _, err := time.LoadLocation(name); err != nil {
			return ""
		}
		return name
	}
	return ""
}
