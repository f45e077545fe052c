// Package nexudus is a client for the Nexudus ContractContact endpoints:
// paced to stay within the documented limits, retrying what is safe to
// retry, and reporting a create of unknown outcome instead of repeating it.
package nexudus

import (
	"context"
	"errors"
	"net/http"
	"time"

	"contactbulk/mapping"
)

// STUB: the foundation issue replaces this file.

// Config configures a Client.
type Config struct {
	BaseURL    string
	Token      string
	HTTPClient *http.Client
	Timeout    time.Duration
}

// Client talks to one Nexudus space. It is safe for concurrent use.
type Client struct{ cfg Config }

// New returns a client for cfg.
func New(cfg Config) (*Client, error) { return &Client{cfg: cfg}, nil }

var errNotYet = errors.New("not implemented yet")

// List fetches one page of the listing.
func (c *Client) List(ctx context.Context, opt ListOptions) (*Page, error) { return nil, errNotYet }

// Create creates one contact and returns its new Id.
func (c *Client) Create(ctx context.Context, ct mapping.Contact) (int64, error) { return 0, errNotYet }

// Get reads full records by id.
func (c *Client) Get(ctx context.Context, ids []int64) ([]Record, error) { return nil, errNotYet }
