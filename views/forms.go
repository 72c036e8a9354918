package views

// LoginForm is what the login form shows back.
type LoginForm struct {
	Login string
	Next  string
}

// AccountForm is what the account creation forms show back (never the
// password).
type AccountForm struct {
	Email       string
	Username    string
	DisplayName string
	Invite      string
}
