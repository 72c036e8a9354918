package app

import (
	"context"
	"errors"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"convene/app/ap"
	"convene/app/i18n"
	"convene/app/store"
)

// collectionPageSize is how many items one page of a collection holds.
const collectionPageSize = 20

// activityJSON answers with an ActivityStreams document.
func activityJSON(w http.ResponseWriter, v any) error {
	w.Header().Add("Vary", "Accept")
	return serveJSON(w, http.StatusOK, ap.ContentTypeActivityJSON+"; charset=utf-8", v)
}

// actorDocument is a local actor as peers read it.
func (a *App) actorDocument(ctx context.Context, act *store.Actor) (*ap.Actor, error) {
	pub, _, err := a.actorKeys(ctx, act.ID)
	if err != nil {
		return nil, err
	}
	id := a.actorURI(act)
	typ := ap.TypePerson
	if act.Kind == store.KindApplication {
		typ = ap.TypeApplication
	}
	doc := ap.NewActor(typ, id, act.Username, pub, a.URL("/inbox"))
	base := a.URL(a.actorPath(act))
	doc.Inbox, doc.Outbox = base+"/inbox", base+"/outbox"
	doc.Followers, doc.Following = base+"/followers", base+"/following"
	doc.Name = act.DisplayName
	doc.Published = act.CreatedAt
	if act.Kind == store.KindApplication {
		doc.URL = a.URL("/")
		doc.Name = a.setting(ctx, SettingName)
		doc.Summary = html.EscapeString(a.setting(ctx, SettingDescription))
		// Follows of the instance are answered by hand, never automatically.
		doc.ManuallyApprovesFollowers = true
		return doc, nil
	}
	if act.Bio != "" {
		doc.Summary = "<p>" + strings.ReplaceAll(html.EscapeString(act.Bio), "\n", "<br>") + "</p>"
	}
	if act.AvatarUUID != "" {
		doc.Icon = ap.NewImage(a.URL("/media/"+act.AvatarUUID), "")
	}
	doc.Discoverable = true
	doc.ManuallyApprovesFollowers = act.ManuallyApproves
	if act.AccountID != 0 {
		if doc.Suspended, err = a.store.IsAccountSuspended(ctx, act.AccountID); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// showActorJSON serves /@username to peers.
func (a *App) showActorJSON(w http.ResponseWriter, r *http.Request) error {
	username, ok := strings.CutPrefix(r.PathValue("handle"), "@")
	if !ok {
		return errNotFound()
	}
	username = strings.ToLower(username)
	return a.servePublicDocument(w, r, "actor "+username, activityContentType, "no such actor", func(ctx context.Context) (any, error) {
		act, err := a.localActorByURI(ctx, a.URL("/@"+username))
		if err != nil {
			return nil, store.ErrNotFound
		}
		if act.Kind == store.KindGroup {
			return a.groupActorDocument(ctx, act)
		}
		return a.actorDocument(ctx, act)
	})
}

// showInstanceActor serves /actor, the instance's Application actor.
func (a *App) showInstanceActor(w http.ResponseWriter, r *http.Request) error {
	return a.servePublicDocument(w, r, "instance actor", activityContentType, "no such actor", func(ctx context.Context) (any, error) {
		act, err := a.instanceActor(ctx)
		if err != nil {
			return nil, err
		}
		return a.actorDocument(ctx, act)
	})
}

// showActorAlias sends people who guess /actors/{username} to the profile.
func (a *App) showActorAlias(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/@"+r.PathValue("username"), http.StatusMovedPermanently)
	return nil
}

// collectionOwner is the local actor whose collection is asked for:
// /actors/{username}/... or the instance's /actor/....
func (a *App) collectionOwner(r *http.Request) (*store.Actor, error) {
	if name := r.PathValue("username"); name != "" {
		act, err := a.store.LocalActorByUsername(r.Context(), strings.ToLower(name))
		if err != nil || act.Kind == store.KindApplication {
			return nil, store.ErrNotFound
		}
		return act, nil
	}
	return a.instanceActor(r.Context())
}

// serveCollection answers a paged OrderedCollection: without ?page the
// collection with its size and first page, with ?page=N that page, whose
// items load(offset, limit) gives.
func serveCollection(w http.ResponseWriter, r *http.Request, id string, total int, load func(limit, offset int) ([]any, error)) error {
	pageParam := r.URL.Query().Get(ap.CollectionPageParam)
	if pageParam == "" {
		return activityJSON(w, ap.NewOrderedCollection(id, total))
	}
	page, err := strconv.Atoi(pageParam)
	if err != nil || page < 1 || page > 100000 {
		return jsonError(w, http.StatusBadRequest, "page must be a positive number")
	}
	items, err := load(collectionPageSize, (page-1)*collectionPageSize)
	if err != nil {
		return err
	}
	return activityJSON(w, ap.NewOrderedCollectionPage(id, page, collectionPageSize, total, items))
}

// showOutbox lists an actor's public Create Event activities; the
// instance actor's lists every public event of the instance.
func (a *App) showOutbox(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	act, err := a.collectionOwner(r)
	if err != nil {
		return jsonError(w, http.StatusNotFound, "no such actor")
	}
	list := func(limit, offset int) ([]int64, int, error) { return a.store.OutboxEvents(ctx, act.ID, limit, offset) }
	if act.Kind == store.KindApplication {
		list = func(limit, offset int) ([]int64, int, error) { return a.store.InstanceOutboxEvents(ctx, limit, offset) }
	}
	_, total, err := list(0, 0)
	if err != nil {
		return err
	}
	return serveCollection(w, r, a.URL(a.actorPath(act)+"/outbox"), total, func(limit, offset int) ([]any, error) {
		ids, _, err := list(limit, offset)
		if err != nil {
			return nil, err
		}
		var items []any
		for _, id := range ids {
			e, err := a.store.EventByID(ctx, id)
			if err != nil {
				return nil, err
			}
			obj := a.eventDocument(e)
			c := ap.NewCreate(a.eventURI(e)+"#create", a.actorURI(e.Organizer), obj, obj.To, obj.Cc)
			c.Context = nil
			if e.PublishedAt != nil {
				c.Published = *e.PublishedAt
			}
			items = append(items, c)
		}
		return items, nil
	})
}

// showFollowersCollection lists the accepted followers of an actor.
func (a *App) showFollowersCollection(w http.ResponseWriter, r *http.Request) error {
	return a.showFollowCollection(w, r, "followers")
}

// showFollowingCollection lists whom an actor follows.
func (a *App) showFollowingCollection(w http.ResponseWriter, r *http.Request) error {
	return a.showFollowCollection(w, r, "following")
}

func (a *App) showFollowCollection(w http.ResponseWriter, r *http.Request, which string) error {
	ctx := r.Context()
	act, err := a.collectionOwner(r)
	if err != nil {
		return jsonError(w, http.StatusNotFound, "no such actor")
	}
	count, list := a.store.CountFollowers, a.store.Followers
	if which == "following" {
		count, list = a.store.CountFollowing, a.store.Following
	}
	total, err := count(ctx, act.ID)
	if err != nil {
		return err
	}
	return serveCollection(w, r, a.URL(a.actorPath(act)+"/"+which), total, func(limit, offset int) ([]any, error) {
		follows, err := list(ctx, act.ID, store.FollowAccepted, limit, offset)
		if err != nil {
			return nil, err
		}
		var items []any
		for _, f := range follows {
			other := f.Follower
			if which == "following" {
				other = f.Followed
			}
			items = append(items, a.actorURI(&other))
		}
		return items, nil
	})
}

// eventServable tells whether an event may be served as ActivityStreams at
// all: our own, published and not private (unlisted ones are served to whoever
// has the link, as their page is, but never addressed to Public).
func (a *App) eventServable(e *store.Event) bool {
	return e.URI == "" && !e.Draft && e.Visibility != store.VisibilityPrivate &&
		e.PublishedAt != nil && !e.PublishedAt.After(a.now())
}

// showEventJSON serves /events/{uuid} to peers.
func (a *App) showEventJSON(w http.ResponseWriter, r *http.Request) error {
	e, err := a.store.EventByUUID(r.Context(), r.PathValue("uuid"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !a.eventServable(e)) {
		return jsonError(w, http.StatusNotFound, "no such event")
	}
	if err != nil {
		return err
	}
	return activityJSON(w, a.eventDocument(e))
}

// Mobilizon's words for our join modes and link kinds.
var (
	apJoinModes = map[string]string{
		store.JoinFree: ap.JoinModeFree, store.JoinApproval: ap.JoinModeRestricted,
		store.JoinInvite: ap.JoinModeInvite, store.JoinExternal: ap.JoinModeExternal,
	}
	apLinkKeys = map[string]string{
		"pad": ap.LinkPad, "video": ap.LinkVideoRoom, "stream": ap.LinkLiveStream,
		"poll": ap.LinkPoll, "tickets": ap.LinkTickets,
	}
)

// eventDocument is a local event in the Mobilizon dialect, with every
// field DESIGN.md lists.
func (a *App) eventDocument(e *store.Event) *ap.Event {
	// The object goes to followers and anyone who fetches it: it never
	// carries what the event keeps for accepted participants.
	e = e.WithoutPrivateDetails()
	loc := e.Location()
	organizer := a.actorURI(e.Organizer)
	doc := ap.NewEvent(a.eventURI(e), organizer, e.Title, e.StartsAt, e.EndsAt, loc)
	if e.AttributedToID != 0 {
		// A group's event, as Mobilizon has it: the group in attributedTo,
		// the moderator who made it as actor.
		if g, err := a.store.ActorByID(context.Background(), e.AttributedToID); err == nil {
			doc.AttributedTo = a.actorURI(g)
		}
	}
	doc.UUID = e.UUID
	// The event's own language, not the reader's: one document goes to
	// every peer, and contentMap tells Mastodon-API servers which it is.
	l := i18n.For(e.Language)
	doc.Content = e.DescriptionHTML
	if e.Status == store.StatusCancelled {
		// Gancio and GoToSocial ignore ical:status: the text says it.
		doc.Content = "<p><strong>" + html.EscapeString(l.T("This event is cancelled.")) + "</strong></p>" + doc.Content
	}
	if e.Language != "" {
		doc.ContentMap = map[string]string{e.Language: doc.Content}
	}
	// summary is HTML in ActivityStreams, like content.
	doc.Summary = html.EscapeString(federatedSummary(l, e))
	switch {
	case !e.Address.IsZero():
		ad := e.Address
		doc.Location = ap.NewPlace("", ad.Venue, ap.PostalAddress{StreetAddress: ad.Street, PostalCode: ad.PostalCode,
			AddressLocality: ad.Locality, AddressRegion: ad.Region, AddressCountry: ad.Country})
		if ad.Latitude != nil && ad.Longitude != nil {
			doc.Location.SetCoordinates(*ad.Latitude, *ad.Longitude)
		}
	case e.OnlineURL != "":
		doc.Location = ap.NewOnlinePlace(l.T("Online"), e.OnlineURL)
	case e.OnlineWithheld:
		// The address is for accepted participants: the place names the
		// event's page, where they find it (Gancio needs a location).
		doc.Location = ap.NewOnlinePlace(l.T("Online"), a.eventURI(e))
	}
	// The picture comes first: Gancio takes attachment[0] as the picture
	// of an updated event (and fails on a link there).
	if e.BannerUUID != "" {
		doc.Attachment = append(doc.Attachment, ap.NewBanner(a.URL("/media/"+e.BannerUUID), e.BannerType))
	}
	if e.OnlineURL != "" {
		doc.SetOnlineAddress(e.OnlineURL, e.IsOnline())
	} else {
		doc.IsOnline = e.IsOnline()
	}
	for _, l := range e.Links {
		name := l.Title
		if name == "" {
			name = l.Kind
		}
		if key, ok := apLinkKeys[l.Kind]; ok {
			doc.Attachment = append(doc.Attachment, ap.NewTypedLink(key, name, l.URL))
		} else {
			doc.Attachment = append(doc.Attachment, ap.NewLink(name, l.URL))
		}
	}
	doc.Category = strings.ToUpper(e.Category)
	// Sorted as the store reads them back, so an event just written goes
	// out as it is served later.
	for _, t := range slices.Sorted(slices.Values(e.Tags)) {
		doc.Tag = append(doc.Tag, ap.NewHashtag(t, a.URL("/tags/"+t)))
	}
	doc.JoinMode = apJoinModes[e.JoinMode]
	if doc.JoinMode == "" {
		doc.JoinMode = ap.JoinModeFree
	}
	if e.JoinMode == store.JoinExternal {
		doc.ExternalParticipationURL = e.ExternalURL
	}
	participants := a.eventParticipantCount(e)
	doc.ParticipantCount = participants
	doc.MaximumAttendeeCapacity = e.Capacity
	if e.Capacity > 0 {
		remaining := max(e.Capacity-participants, 0)
		doc.RemainingAttendeeCapacity = &remaining
	}
	doc.AnonymousParticipationEnabled = e.AnonymousParticipation
	doc.SetRepliesModeration(e.CommentModeration)
	doc.Draft = e.Draft
	doc.SetStatus(strings.ToUpper(e.Status))
	doc.InLanguage = e.Language
	if e.PublishedAt != nil {
		doc.Published = *e.PublishedAt
	}
	// updated only after a real edit: Mastodon-API servers show a post
	// that carries updated as "edited".
	if e.PublishedAt != nil && e.UpdatedAt.After(*e.PublishedAt) {
		doc.Updated = e.UpdatedAt
	}
	doc.SetAudience(a.followersURI(e.Organizer), e.Visibility == store.VisibilityPublic)
	return doc
}

// federatedSummary is an event's summary. Mastodon shows an Event as its
// name as a heading, then its summary, then a link to its url (the
// content is not shown); GoToSocial takes the summary (else the name) as
// a content warning, shown above the folded content. The name cannot be
// left out (Mobilizon and Gancio need it), so GoToSocial always folds the
// content: the summary must itself carry the title, the date and the
// place, and say first when the event is cancelled. Mastodon then shows
// the title twice, which is the lesser harm. Mobilizon and Gancio read
// name, startTime and location, not the summary.
func federatedSummary(l *i18n.Printer, e *store.Event) string {
	s := e.Title + " · " + eventWhen(l, e)
	if p := eventPlace(l, e); p != "" {
		s += " · " + p
	}
	if e.Status == store.StatusCancelled {
		s = l.T("Cancelled") + " · " + s
	}
	return s
}

// eventParticipantCount is how many take part in an event (confirmed
// participants, local and remote), for peers.
func (a *App) eventParticipantCount(e *store.Event) int {
	if e.ID == 0 {
		return 0
	}
	n, err := a.store.ConfirmedCount(context.Background(), e.ID)
	if err != nil {
		a.log.Warn("participant count", "event", e.UUID, "err", err)
		return 0
	}
	return n
}
