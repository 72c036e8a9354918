package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"convene/app/store"
	"convene/views"
)

// maxImportRows caps a block list import, as Mastodon does.
const maxImportRows = 20000

// showAdminFederation is /admin/federation: the mode, the rules, import
// and export.
func (a *App) showAdminFederation(w http.ResponseWriter, r *http.Request) error {
	return a.renderAdminFederation(w, r, http.StatusOK, views.PolicyForm{Severity: store.SeveritySuspend}, nil)
}

func (a *App) renderAdminFederation(w http.ResponseWriter, r *http.Request, status int, form views.PolicyForm, errs views.FieldErrors) error {
	ctx := r.Context()
	rules, err := a.store.DomainPolicies(ctx)
	if err != nil {
		return err
	}
	v := views.FederationView{
		Mode: a.currentPolicy().mode, ShowModerated: a.setting(ctx, SettingShowModerated), Policies: rules, Form: form,
	}
	if v.Mode != ModeAllowlist {
		v.Mode = ModeBlocklist
	}
	if v.ShowModerated == "" {
		v.ShowModerated = "off"
	}
	return a.render(w, r, status, views.AdminFederationPage(a.adminPage(r, "Federation"), v, errs))
}

// setFederationMode switches blocklist/allowlist and who sees the list of
// moderated servers.
func (a *App) setFederationMode(w http.ResponseWriter, r *http.Request) error {
	mode := r.PostFormValue("mode")
	show := r.PostFormValue("show_moderated")
	if !slices.Contains([]string{ModeBlocklist, ModeAllowlist}, mode) || !slices.Contains([]string{"off", "users", "all"}, show) {
		return errBadRequest("Choose a mode from the list.")
	}
	ctx := r.Context()
	if err := a.saveSettings(ctx, map[string]string{SettingFederationMode: mode, SettingShowModerated: show}); err != nil {
		return err
	}
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		return a.logModeration(ctx, tx, currentAccount(r), "federation.mode", "instance", mode, 0, map[string]string{"mode": mode, "show_moderated": show})
	})
	if err != nil {
		return err
	}
	if err := a.enforcePolicy(ctx); err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/federation", a.printer(r).T("Saved."))
}

// addDomainPolicy adds (or changes) a block or an allow.
func (a *App) addDomainPolicy(w http.ResponseWriter, r *http.Request) error {
	l := a.printer(r)
	form := views.PolicyForm{
		Domain: strings.TrimSpace(r.PostFormValue("domain")), Kind: r.PostFormValue("kind"),
		Severity: r.PostFormValue("severity"), RejectMedia: r.PostFormValue("reject_media") == "1",
		RejectReports: r.PostFormValue("reject_reports") == "1", Obfuscate: r.PostFormValue("obfuscate") == "1",
		PublicComment:  strings.TrimSpace(r.PostFormValue("public_comment")),
		PrivateComment: strings.TrimSpace(r.PostFormValue("private_comment")),
	}
	errs := views.FieldErrors{}
	domain := normalizeDomain(form.Domain)
	switch {
	case domain == "":
		errs["domain"] = l.T("Give a domain name, like events.example.org.")
	case domain == hostName(a.baseURL.Host):
		errs["domain"] = l.T("This is this instance's own domain.")
	}
	if form.Kind != store.PolicyAllow {
		form.Kind = store.PolicyBlock
		if form.Severity != store.SeveritySilence && form.Severity != store.SeveritySuspend {
			errs["severity"] = l.T("Choose what the block does.")
		}
	}
	for name, v := range map[string]string{"public_comment": form.PublicComment, "private_comment": form.PrivateComment} {
		if msg := validText(l, v, 1000, true); msg != "" {
			errs[name] = msg
		}
	}
	if len(errs) > 0 {
		return a.renderAdminFederation(w, r, http.StatusUnprocessableEntity, form, errs)
	}
	p := store.DomainPolicy{Domain: domain, Kind: form.Kind, Severity: form.Severity, RejectMedia: form.RejectMedia,
		RejectReports: form.RejectReports, PublicComment: form.PublicComment, PrivateComment: form.PrivateComment,
		Obfuscate: form.Obfuscate}
	if p.Kind == store.PolicyAllow {
		p.Severity = store.SeveritySuspend
	}
	if err := a.applyDomainPolicy(r.Context(), currentAccount(r), p); err != nil {
		return err
	}
	msg := l.T("%s is blocked.", domain)
	if p.Kind == store.PolicyAllow {
		msg = l.T("%s is allowed.", domain)
	}
	return a.redirect(w, r, "/admin/federation", msg)
}

// deleteDomainPolicy removes a rule.
func (a *App) deleteDomainPolicy(w http.ResponseWriter, r *http.Request) error {
	domain := normalizeDomain(r.PostFormValue("domain"))
	kind := r.PostFormValue("kind")
	if domain == "" || (kind != store.PolicyAllow && kind != store.PolicyBlock) {
		return errBadRequest("Unknown rule.")
	}
	if err := a.removeDomainPolicy(r.Context(), currentAccount(r), domain, kind); err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/federation", a.printer(r).T("Rule removed. Nothing that was removed comes back."))
}

// exportPolicies serves blocks in Mastodon's six-column CSV, or allows
// with the one #domain column.
func (a *App) exportPolicies(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rules, err := a.store.DomainPolicies(r.Context())
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		if kind == store.PolicyBlock {
			_ = cw.Write([]string{"#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"})
		} else {
			_ = cw.Write([]string{"#domain"})
		}
		for _, p := range rules {
			if p.Kind != kind {
				continue
			}
			if kind == store.PolicyBlock {
				_ = cw.Write([]string{p.Domain, p.Severity, boolString(p.RejectMedia), boolString(p.RejectReports), p.PublicComment, boolString(p.Obfuscate)})
			} else {
				_ = cw.Write([]string{p.Domain})
			}
		}
		cw.Flush()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+kind+`s.csv"`)
		_, _ = w.Write(buf.Bytes())
		return nil
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// parseBlockList reads a Mastodon CSV (with or without its header), a
// JSON list from Mastodon or GoToSocial, or plain text with one domain a
// line. Rows that name no domain are skipped; "noop" rows too.
func parseBlockList(data []byte) ([]store.DomainPolicy, error) {
	text := strings.TrimSpace(string(data))
	if strings.HasPrefix(text, "[") {
		var rows []struct {
			Domain        string `json:"domain"`
			Severity      string `json:"severity"`
			Comment       string `json:"comment"`
			PublicComment string `json:"public_comment"`
			RejectMedia   bool   `json:"reject_media"`
			RejectReports bool   `json:"reject_reports"`
			Obfuscate     bool   `json:"obfuscate"`
		}
		if err := json.Unmarshal([]byte(text), &rows); err != nil {
			return nil, err
		}
		var out []store.DomainPolicy
		for _, r := range rows {
			comment := r.PublicComment
			if comment == "" {
				comment = r.Comment
			}
			out = appendImported(out, r.Domain, r.Severity, r.RejectMedia, r.RejectReports, comment, r.Obfuscate)
		}
		return out, nil
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var out []store.DomainPolicy
	header := []string{"#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(rec) == 0 {
			continue
		}
		if first && strings.HasPrefix(strings.TrimSpace(rec[0]), "#") || first && strings.EqualFold(strings.TrimSpace(rec[0]), "domain") {
			// A header names the columns: read them in its order.
			header = rec
			continue
		}
		get := func(name string) string {
			for i, h := range header {
				if strings.TrimPrefix(strings.TrimSpace(strings.ToLower(h)), "#") == name && i < len(rec) {
					return strings.TrimSpace(rec[i])
				}
			}
			return ""
		}
		out = appendImported(out, get("domain"), get("severity"), get("reject_media") == "true",
			get("reject_reports") == "true", get("public_comment"), get("obfuscate") == "true")
		if len(out) > maxImportRows {
			return out[:maxImportRows], nil
		}
	}
	return out, nil
}

func appendImported(out []store.DomainPolicy, domain, severity string, media, reports bool, comment string, obfuscate bool) []store.DomainPolicy {
	d := normalizeDomain(domain)
	if d == "" || severity == "noop" {
		return out
	}
	if severity != store.SeveritySilence {
		severity = store.SeveritySuspend
	}
	return append(out, store.DomainPolicy{Domain: d, Kind: store.PolicyBlock, Severity: severity, RejectMedia: media,
		RejectReports: reports, PublicComment: clipRunes(comment, 1000), Obfuscate: obfuscate, Origin: "import"})
}

// previewImport shows what a block list would add, each row with a box
// to tick; rules that exist are shown as skipped.
func (a *App) previewImport(w http.ResponseWriter, r *http.Request) error {
	l := a.printer(r)
	data := []byte(r.PostFormValue("list"))
	if f, _, err := r.FormFile("file"); err == nil {
		data, _ = io.ReadAll(io.LimitReader(f, 4<<20))
		f.Close()
	}
	rows, err := parseBlockList(data)
	if err != nil || len(rows) == 0 {
		return a.renderAdminFederation(w, r, http.StatusUnprocessableEntity, views.PolicyForm{Severity: store.SeveritySuspend},
			views.FieldErrors{"list": l.T("No domain could be read from this list. Paste a Mastodon CSV export, a JSON list or one domain a line.")})
	}
	v, err := a.importPreview(r.Context(), rows)
	if err != nil {
		return err
	}
	v.List = string(data)
	return a.render(w, r, http.StatusOK, views.ImportPreviewPage(a.adminPage(r, "Import a block list"), v))
}

func (a *App) importPreview(ctx context.Context, rows []store.DomainPolicy) (views.ImportPreview, error) {
	existing, err := a.store.DomainPolicies(ctx)
	if err != nil {
		return views.ImportPreview{}, err
	}
	have := map[string]bool{}
	for _, p := range existing {
		have[p.Domain+" "+p.Kind] = true
	}
	hosts, err := a.store.KnownRemoteHosts(ctx)
	if err != nil {
		return views.ImportPreview{}, err
	}
	var v views.ImportPreview
	for _, p := range rows {
		row := views.ImportRow{Policy: p, Exists: have[p.Domain+" "+p.Kind]}
		for _, h := range hosts {
			if h := hostName(h); h == p.Domain || strings.HasSuffix(h, "."+p.Domain) {
				row.Known = true
				break
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// confirmImport adds the ticked rows that have no rule yet.
func (a *App) confirmImport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rows, err := parseBlockList([]byte(r.PostFormValue("list")))
	if err != nil {
		return errBadRequest("The list could not be read again.")
	}
	chosen := map[string]bool{}
	for _, d := range r.PostForm["domain"] {
		chosen[d] = true
	}
	existing, err := a.store.DomainPolicies(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, p := range existing {
		have[p.Domain+" "+p.Kind] = true
	}
	mod := currentAccount(r)
	added := 0
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		for _, p := range rows {
			if !chosen[p.Domain] || have[p.Domain+" "+p.Kind] {
				continue
			}
			have[p.Domain+" "+p.Kind] = true
			p.CreatedBy = mod.ID
			if err := a.store.SaveDomainPolicyTx(ctx, tx, p); err != nil {
				return err
			}
			if err := a.logModeration(ctx, tx, mod, "domain."+p.Severity, "domain", p.Domain, 0, p); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := a.enforcePolicy(ctx); err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/federation", a.printer(r).N(added, "%d domain blocked.", "%d domains blocked.", added))
}

// moderatedServers is the list /about shows when the admins chose to.
func (a *App) moderatedServers(r *http.Request) []views.ModeratedServer {
	show := a.setting(r.Context(), SettingShowModerated)
	if show != "all" && !(show == "users" && currentAccount(r) != nil) {
		return nil
	}
	rules, err := a.store.DomainPolicies(r.Context())
	if err != nil {
		return nil
	}
	var out []views.ModeratedServer
	for _, p := range rules {
		if p.Kind != store.PolicyBlock {
			continue
		}
		out = append(out, views.ModeratedServer{Domain: obfuscatedDomain(p), Digest: domainDigest(p.Domain), Severity: p.Severity, Comment: p.PublicComment})
	}
	return out
}
