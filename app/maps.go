package app

import (
	"fmt"
	"net/url"
	"strings"

	"convene/views"
)

// DefaultTileURL is OpenStreetMap's standard tile layer. Its usage policy
// suits a small instance; a busy one should run its own tile server or
// use a commercial one (README, "Maps and geocoding").
const DefaultTileURL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

// DefaultTileAttribution is the credit OpenStreetMap's tiles require.
const DefaultTileAttribution = "© OpenStreetMap contributors"

// mapTiles checks the configured tile server. Only its origin enters the
// Content-Security-Policy, and only for pictures.
func mapTiles(cfg Config) (views.MapTiles, error) {
	if cfg.TileURL == "" {
		return views.MapTiles{}, nil
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(cfg.TileURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.Contains(cfg.TileURL, "{z}") {
		return views.MapTiles{}, fmt.Errorf("the tile URL %q is not an http(s) URL with {z}, {x} and {y}", cfg.TileURL)
	}
	if strings.Contains(cfg.TileURL, "{s}") {
		return views.MapTiles{}, fmt.Errorf("the tile URL %q uses {s} subdomains: give one host, so that the Content-Security-Policy can name it", cfg.TileURL)
	}
	attribution := cfg.TileAttribution
	if attribution == "" {
		attribution = DefaultTileAttribution
	}
	return views.MapTiles{URL: cfg.TileURL, Origin: u.Scheme + "://" + u.Host, Attribution: attribution}, nil
}
