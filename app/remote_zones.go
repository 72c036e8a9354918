package app

// The time zone of a remote event. Mobilizon names it (timezone); Gancio
// sends only a UTC offset ("2027-02-11T18:00:00+01:00"), but publishes
// its server's zone in NodeInfo (metadata.nodeTimezone), which is the zone
// of its events. Without either, the offset itself is the zone: an
// event's time is never shown as "UTC" unless it was sent as UTC.

import (
	"context"
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
	info := a.fetchNodeInfo(ctx, host)
	if info == nil {
		return ""
	}
	name, _ := info.Metadata["nodeTimezone"].(string)
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 64 || name == "Local" {
		return ""
	}
	if _, err := time.LoadLocation(name); err != nil {
		return ""
	}
	return name
}

// fetchNodeInfo reads a host's NodeInfo (2.1, else 2.0), nil when it
// publishes none we can read. Its links must stay on the host.
func (a *App) fetchNodeInfo(ctx context.Context, host string) *ap.NodeInfo {
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
			return nil
		}
		href := jrd.Href(ap.RelNodeInfo21)
		if href == "" {
			href = jrd.Href(ap.RelNodeInfo20)
		}
		if href == "" || !ap.SameHost(href, origin) {
			return nil
		}
		doc, err := a.fed.fetcher.Fetch(ctx, href, "application/json", nil)
		if err != nil {
			return nil
		}
		info, err := ap.ParseNodeInfo(doc.Body)
		if err != nil {
			return nil
		}
		return info
	}
	return nil
}
