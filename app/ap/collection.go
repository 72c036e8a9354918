package ap

import (
	"strconv"

	vocab "github.com/go-ap/activitypub"
)

// OrderedCollection is a paged collection (outbox, followers, a group's
// members...) or one page of it, as we serve them: the collection gives
// its size and its first page, a page its items, newest first.
type OrderedCollection struct {
	Type         string // TypeOrderedCollection or TypeOrderedCollectionPage
	ID           string
	TotalItems   int
	First        string // the collection's first page
	PartOf       string // a page's collection
	Next, Prev   string // a page's neighbours, if any
	OrderedItems []any  // a page's items: ids, our documents, or any JSON value
}

// Collection types.
const (
	TypeOrderedCollection     = "OrderedCollection"
	TypeOrderedCollectionPage = "OrderedCollectionPage"
)

// CollectionPageParam is the query parameter of a collection's pages.
const CollectionPageParam = "page"

// NewOrderedCollection is the collection id of total items, whose first
// page is id?page=1.
func NewOrderedCollection(id string, total int) *OrderedCollection {
	return &OrderedCollection{Type: TypeOrderedCollection, ID: id, TotalItems: total, First: pageURL(id, 1)}
}

// NewOrderedCollectionPage is page (from 1) of the collection id of total
// items, pageSize to a page, holding items; next and prev are set when
// there is such a page.
func NewOrderedCollectionPage(id string, page, pageSize, total int, items []any) *OrderedCollection {
	c := &OrderedCollection{Type: TypeOrderedCollectionPage, ID: pageURL(id, page), PartOf: id, TotalItems: total, OrderedItems: items}
	if page*pageSize < total {
		c.Next = pageURL(id, page+1)
	}
	if page > 1 {
		c.Prev = pageURL(id, page-1)
	}
	return c
}

func pageURL(id string, page int) string {
	return id + "?" + CollectionPageParam + "=" + strconv.Itoa(page)
}

// MarshalJSON writes the collection or page on go-ap's
// vocab.OrderedCollection and vocab.OrderedCollectionPage, through
// go-ap/jsonld with the ActivityStreams @context alone (collections carry
// no extension).
func (c OrderedCollection) MarshalJSON() ([]byte, error) {
	return marshalDoc(Context()[0], c.item())
}

func (c OrderedCollection) item() vocab.Item {
	var items vocab.ItemCollection
	if len(c.OrderedItems) > 0 {
		items = make(vocab.ItemCollection, len(c.OrderedItems))
		for i, it := range c.OrderedItems {
			if s, ok := it.(string); ok && s != "" {
				items[i] = asIRI(s)
			} else {
				// Written whole, with its own @context if it has one,
				// as pages always wrote their items.
				items[i] = value{v: it}
			}
		}
	}
	opt := func(s string) vocab.Item {
		if s == "" {
			return nil
		}
		return asIRI(s)
	}
	if c.Type == TypeOrderedCollectionPage {
		return &vocab.OrderedCollectionPage{Type: asType(c.Type), ID: asIRI(c.ID), TotalItems: uint(max(c.TotalItems, 0)),
			PartOf: opt(c.PartOf), First: opt(c.First), Next: opt(c.Next), Prev: opt(c.Prev), OrderedItems: items}
	}
	return &vocab.OrderedCollection{Type: asType(c.Type), ID: asIRI(c.ID), TotalItems: uint(max(c.TotalItems, 0)),
		First: opt(c.First), OrderedItems: items}
}
