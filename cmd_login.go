package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"contactbulk/nexudus"
)

// loginFlags are the flags of `contactbulk login`.
type loginFlags struct {
	url     string
	totp    string
	logout  bool
	timeout time.Duration
}

func (a *app) loginCommand() *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in to Nexudus and save the login for later commands",
		Long: `login signs in to Nexudus with your email and password (and a two-factor
code when your account uses one) and saves the access and refresh tokens,
readable only by you, in your config directory. Later commands use them and
renew them as they expire. Nothing is saved when NEXUDUS_TOKEN is all you use.

On a terminal, login asks for what is missing (the password is not shown).
For unattended use set NEXUDUS_USERNAME and NEXUDUS_PASSWORD, and pass
--totp CODE when the account needs a code.`,
		Example: `  contactbulk login
  NEXUDUS_USERNAME=me@example.com NEXUDUS_PASSWORD=... contactbulk login --totp 123456
  contactbulk login --logout`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.login(cmd.Context(), &f)
		},
	}
	cmd.Flags().StringVar(&f.url, "url", "", "Nexudus base URL (default $NEXUDUS_URL, else "+nexudus.DefaultBaseURL+")")
	cmd.Flags().StringVar(&f.totp, "totp", "", "the current two-factor code, when the account uses one")
	cmd.Flags().BoolVar(&f.logout, "logout", false, "remove the saved login for the URL instead")
	cmd.Flags().DurationVar(&f.timeout, "timeout", nexudus.DefaultTimeout, "give up on one request after this long")
	return cmd
}

func (a *app) login(ctx context.Context, f *loginFlags) error {
	base, err := a.baseURL(f.url)
	if err != nil {
		return err
	}
	if a.configDir == "" {
		return usageErrorf("no config directory to save the login in (set XDG_CONFIG_HOME or HOME), or use NEXUDUS_TOKEN instead")
	}
	store := nexudus.SessionStore{Dir: a.configDir}
	if f.logout {
		removed, err := store.Remove(base)
		if err != nil {
			return usageErrorf("%v", err)
		}
		if removed {
			fmt.Fprintf(a.stdout, "Signed out of %s: the saved login is removed.\n", base)
		} else {
			fmt.Fprintf(a.stdout, "No saved login for %s.\n", base)
		}
		return nil
	}
	if f.timeout <= 0 {
		return usageErrorf("--timeout %s: must be positive, like 30s", f.timeout)
	}

	p := &prompter{a: a, ctx: ctx}
	email := strings.TrimSpace(a.getenv("NEXUDUS_USERNAME"))
	password := a.getenv("NEXUDUS_PASSWORD")
	if email == "" || password == "" {
		if !a.isTerminal(a.stdin) {
			return usageErrorf("no credentials to sign in with: set NEXUDUS_USERNAME and NEXUDUS_PASSWORD (and pass --totp CODE if the account uses two-factor sign-in), or run login on a terminal")
		}
		if email == "" {
			if email, err = p.line("Email: "); err != nil {
				return err
			}
		}
		if password == "" {
			if password, err = p.secret("Password: "); err != nil {
				return err
			}
		}
		if email == "" || password == "" {
			return usageErrorf("sign in needs both an email and a password")
		}
	}

	client, err := nexudus.New(nexudus.Config{BaseURL: base, HTTPClient: a.httpClient, Timeout: f.timeout, DailyWrites: -1, MaxRetries: 2, Logf: a.logger()})
	if err != nil {
		return usageErrorf("%v", err)
	}
	sess, err := client.SignIn(ctx, email, password, strings.TrimSpace(f.totp))
	if errors.Is(err, nexudus.ErrTOTPRequired) && f.totp == "" && a.isTerminal(a.stdin) {
		code, perr := p.line("Two-factor code: ")
		if perr != nil {
			return perr
		}
		sess, err = client.SignIn(ctx, email, password, code)
	}
	if err != nil {
		return a.signInError(ctx, err, base, f.totp != "")
	}
	if err := store.Save(base, sess); err != nil {
		return usageErrorf("%v", err)
	}
	expiry := "expiry not given"
	if !sess.Expiry.IsZero() {
		expiry = "access renewed automatically; it expires " + sess.Expiry.Local().Format("2006-01-02 15:04 MST")
	}
	fmt.Fprintf(a.stdout, "Signed in to %s as %s. Login saved in %s (%s).\n", base, email, store.Path(base), expiry)
	return nil
}

// signInError turns a failed sign-in into a one-line error saying what to do.
func (a *app) signInError(ctx context.Context, err error, base string, gaveTOTP bool) error {
	if ctx.Err() != nil {
		return loginInterrupted(ctx)
	}
	if errors.Is(err, nexudus.ErrTOTPRequired) {
		if gaveTOTP {
			return usageErrorf("sign-in refused: the two-factor code was not accepted; pass the current code with --totp")
		}
		return usageErrorf("this account uses two-factor sign-in: pass the current code with --totp CODE")
	}
	var ae *nexudus.APIError
	if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 {
		msg := ae.Message
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d", ae.Status)
		}
		return usageErrorf("sign-in to %s refused: %s; check NEXUDUS_USERNAME and NEXUDUS_PASSWORD (or what you typed)", base, msg)
	}
	return usageErrorf("cannot sign in to %s: %v; check --url or NEXUDUS_URL and the network", base, err)
}

// prompter asks for input on the terminal, writing its questions to
// stderr. Ctrl-C (ctx ending) ends a question at once: reads from a
// terminal do not watch a context, so each runs in a goroutine of its own,
// left blocked when the process is about to end anyway.
type prompter struct {
	a   *app
	ctx context.Context
	in  *bufio.Reader
}

// answer is what a read of the terminal returned.
type answer struct {
	text string
	err  error
}

// line asks q and returns the answer without surrounding spaces.
func (p *prompter) line(q string) (string, error) {
	s, err := p.raw(q)
	return strings.TrimSpace(s), err
}

// raw asks q and returns the answer without its line ending.
func (p *prompter) raw(q string) (string, error) {
	fmt.Fprint(p.a.stderr, q)
	if p.in == nil {
		p.in = bufio.NewReader(p.a.stdin)
	}
	read := make(chan answer, 1)
	go func() {
		s, err := p.in.ReadString('\n')
		read <- answer{s, err}
	}()
	got, err := p.wait(read, func() {})
	if err != nil {
		return "", err
	}
	if got.err != nil && (got.err != io.EOF || got.text == "") {
		return "", usageErrorf("no answer to %q on standard input", strings.TrimSuffix(q, ": "))
	}
	return strings.TrimRight(got.text, "\r\n"), nil
}

// secret asks q without echoing the answer when stdin is a terminal; the
// terminal is left as it was found, Ctrl-C or not.
func (p *prompter) secret(q string) (string, error) {
	file, ok := p.a.stdin.(*os.File)
	if !ok || p.in != nil && p.in.Buffered() > 0 {
		return p.raw(q)
	}
	fd := int(file.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", usageErrorf("cannot read the password from the terminal: %v", err)
	}
	fmt.Fprint(p.a.stderr, q)
	read := make(chan answer, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		read <- answer{string(b), err}
	}()
	// ReadPassword turns echo back on when it returns, which it does not
	// on Ctrl-C: then it is done here.
	got, err := p.wait(read, func() { _ = term.Restore(fd, state) })
	fmt.Fprintln(p.a.stderr)
	if err != nil {
		return "", err
	}
	if got.err != nil {
		return "", usageErrorf("cannot read the password from the terminal: %v", got.err)
	}
	return strings.TrimRight(got.text, "\r\n"), nil
}

// wait returns the answer read sends, or, when Ctrl-C comes first, calls
// restore and returns the interruption (exit 130).
func (p *prompter) wait(read <-chan answer, restore func()) (answer, error) {
	select {
	case got := <-read:
		return got, nil
	case <-p.ctx.Done():
		restore()
		fmt.Fprintln(p.a.stderr)
		return answer{}, loginInterrupted(p.ctx)
	}
}

// loginInterrupted is the error of a login stopped by Ctrl-C: exit 130.
func loginInterrupted(ctx context.Context) error {
	return interrupted(fmt.Errorf("login interrupted; nothing was saved (%w)", ctx.Err()))
}
