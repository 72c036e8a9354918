package views

import (
	"convene/app/i18n"
	"convene/app/store"
)

// categoryNames are the English names of store.Categories; the catalogues
// translate them like any other message.
var categoryNames = map[string]string{
	"arts":                          "Arts",
	"book_clubs":                    "Book clubs",
	"business":                      "Business",
	"causes":                        "Causes",
	"climate":                       "Climate",
	"comedy":                        "Comedy",
	"community":                     "Community",
	"crafts":                        "Crafts",
	"family_education":              "Family & education",
	"fashion_beauty":                "Fashion & beauty",
	"film_media":                    "Film & media",
	"food_drink":                    "Food & drink",
	"games":                         "Games",
	"health":                        "Health",
	"language_culture":              "Language & culture",
	"learning":                      "Learning",
	"lgbtq":                         "LGBTQ+",
	"meeting":                       "Meeting",
	"movements_politics":            "Movements & politics",
	"music":                         "Music",
	"networking":                    "Networking",
	"outdoors_adventure":            "Outdoors & adventure",
	"party":                         "Party",
	"performing_visual_arts":        "Performing & visual arts",
	"pets":                          "Pets",
	"photography":                   "Photography",
	"science_tech":                  "Science & tech",
	"spirituality_religion_beliefs": "Spirituality, religion & beliefs",
	"sports":                        "Sports",
	"theatre":                       "Theatre",
	"other":                         "Other",
}

// CategoryName is a category's name in the reader's language; an unknown
// category (from a remote server, say) shows as it came.
func CategoryName(l *i18n.Printer, category string) string {
	if n, ok := categoryNames[category]; ok {
		return l.T(n)
	}
	return category
}

// CategoryChoices lists every category for a select, in store order,
// after a first choice with an empty value when anyLabel is not empty.
func CategoryChoices(l *i18n.Printer, anyLabel string) []Choice {
	var out []Choice
	if anyLabel != "" {
		out = append(out, Choice{Value: "", Label: anyLabel})
	}
	for _, c := range store.Categories {
		out = append(out, Choice{Value: c, Label: CategoryName(l, c)})
	}
	return out
}
