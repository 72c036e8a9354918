package store

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"
)

func TestAccountsWithIdentitiesAndPasswordChange(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ana, _, err := s.CreateAccountWithIdentity(ctx, "ana@example.org", "h1", false, NewIdentity{Username: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateIdentity(ctx, ana.ID, NewIdentity{Username: "folk_ana"}); err != nil {
		t.Fatal(err)
	}
	bob, _, err := s.CreateAccountWithIdentity(ctx, "bob@example.org", "h2", true, NewIdentity{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAccountsWithIdentities(ctx, 10, 0)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d, %v", len(list), err)
	}
	if list[0].ID != bob.ID || len(list[0].Identities) != 1 || list[1].ID != ana.ID || len(list[1].Identities) != 2 ||
		list[1].Identities[1].Username != "folk_ana" {
		t.Fatalf("accounts and identities: %+v", list)
	}
	if page2, _ := s.ListAccountsWithIdentities(ctx, 1, 1); len(page2) != 1 || page2[0].ID != ana.ID || len(page2[0].Identities) != 2 {
		t.Fatalf("second page: %+v", page2)
	}

	keep, _ := s.CreateSession(ctx, ana.ID, 0, time.Hour)
	other, _ := s.CreateSession(ctx, ana.ID, 0, time.Hour)
	bobs, _ := s.CreateSession(ctx, bob.ID, 0, time.Hour)
	if err := s.ChangePassword(ctx, ana.ID, "h3", keep); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionBySecret(ctx, keep); err != nil {
		t.Error("the session that changed the password was ended")
	}
	if _, err := s.SessionBySecret(ctx, other); !errors.Is(err, ErrNotFound) {
		t.Error("another session of the account survived the password change")
	}
	if _, err := s.SessionBySecret(ctx, bobs); err != nil {
		t.Error("another account's session was ended")
	}
	if a, _ := s.AccountByID(ctx, ana.ID); a.PasswordHash != "h3" {
		t.Error("password hash not changed")
	}
	if err := s.SetLocale(ctx, ana.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.AccountByID(ctx, ana.ID); a.Locale != "fr" {
		t.Error("locale not saved")
	}
}

// A deleted account's pictures go with it, including a banner it had
// sent with a form that came back with errors (a pending upload), which
// nothing else refers to.
func TestDeletedAccountTakesItsPendingPictures(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	acc, id, err := s.CreateAccountWithIdentity(ctx, "pia@example.org", "", false, NewIdentity{Username: "pia"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.CreateMedia(ctx, "image/png", 1, 1, []byte("not really a png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddPendingUpload(ctx, "token", id.ID, m.ID, "poster.png", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		return s.DeleteAccountTx(ctx, tx, acc.ID, map[string]string{"pia": "https://example.org/@pia"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MediaByUUID(ctx, m.UUID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the pending picture of a deleted account is still stored (err %v)", err)
	}
}
