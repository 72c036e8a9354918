package app

import "strings"

// deviceOf describes a browser from its User-Agent in a few words ("Firefox
// on Android"), which is all that is kept of it: enough for people to tell
// their sessions apart, too little to follow anyone.
func deviceOf(userAgent string) string {
	browser := firstMatch(userAgent, [][2]string{
		// Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"Chromium/", "Chromium"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	})
	system := firstMatch(userAgent, [][2]string{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	})
	switch {
	case browser != "" && system != "":
		return browser + " · " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return ""
}

// firstMatch returns the name of the first marker found in s.
func firstMatch(s string, markers [][2]string) string {
	for _, m := range markers {
		if strings.Contains(s, m[0]) {
			return m[1]
		}
	}
	return ""
}
