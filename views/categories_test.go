package views

import (
	"testing"

	"convene/app/i18n"
	"convene/app/store"
)

// Every category has a name, and French readers get it in French.
func TestEveryCategoryHasATranslatedName(t *testing.T) {
	fr := i18n.Catalog("fr")
	for _, c := range store.Categories {
		name, ok := categoryNames[c]
		if !ok {
			t.Errorf("category %q has no name", c)
			continue
		}
		if fr[name] == "" {
			t.Errorf("category name %q has no French translation", name)
		}
	}
	if got := CategoryName(i18n.For("fr"), "food_drink"); got != "Cuisine et boissons" {
		t.Errorf("food_drink in French: %q", got)
	}
}
