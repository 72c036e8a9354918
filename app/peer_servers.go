package app

// Some servers show everything they receive to everyone, whatever its
// addressing says: Gancio lists every event that reaches it. An unlisted
// or followers-only event must not reach them, even through a person who
// follows from there. Servers say what software they run in NodeInfo;
// this learns it when one of their actors follows one of ours.

import (
	"context"
	"strings"
	"time"
)

// audienceBlindSoftware are the NodeInfo software names of servers known
// to ignore an activity's audience (Gancio: its inbox stores every Create
// of an Event it accepts as a public event of its own listing).
var audienceBlindSoftware = map[string]bool{"gancio": true}

// peerSoftwareMaxAge is how long what a server said of itself is believed.
const peerSoftwareMaxAge = 7 * 24 * time.Hour

// learnPeerSoftware records what software host runs, unless it was
// learnt recently. A server whose NodeInfo cannot be read is recorded as
// unknown (and so treated as honouring addressing) until asked again.
func (a *App) learnPeerSoftware(ctx context.Context, host string) error {
	now := a.now()
	checked, err := a.store.PeerSoftwareCheckedAt(ctx, host)
	if err != nil {
		return err
	}
	if !checked.IsZero() && now.Sub(checked) < peerSoftwareMaxAge {
		return nil
	}
	software := ""
	if info := a.fetchNodeInfo(ctx, host); info != nil {
		software = strings.ToLower(strings.TrimSpace(info.Software.Name))
	}
	return a.store.SetPeerSoftware(ctx, host, clipRunes(software, 100), audienceBlindSoftware[software], now)
}
