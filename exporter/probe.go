package exporter

import (
	"context"
	"fmt"

	"contactbulk/nexudus"
)

// Convention is how a server reads the listing's dir parameter, as seen
// from the order of the Ids it answers with.
type Convention struct {
	Name string // "endpoint" (1 ascending, -1 descending), "legacy" (0 ascending, 1 descending), "ignored-asc", "ignored-desc", or "unseen" (fewer than 2 records)
	// Asc and Desc are the dir values that sort ascending and descending;
	// HasAsc and HasDesc say whether the server sorts that way at all.
	Asc, Desc       int
	HasAsc, HasDesc bool
	// Reported is the CurrentSortDirection the server answered for each
	// dir sent, as it reports it (not necessarily what it did).
	Reported map[int]int
}

// ProbeDirection lists two records by Id with dir 1, then with -1 or 0,
// and reads the convention from the order the Ids come back in. It
// returns the API's error when a listing fails.
func ProbeDirection(ctx context.Context, api API) (Convention, error) {
	c := Convention{Name: "endpoint", Asc: 1, Desc: -1, HasAsc: true, HasDesc: true, Reported: map[int]int{}}
	order := func(dir int) (int, error) {
		d := dir
		pg, err := api.List(ctx, nexudus.ListOptions{Page: 1, Size: 2, OrderBy: "Id", Dir: &d})
		if err != nil {
			return 0, fmt.Errorf("find the sort direction: %w", err)
		}
		c.Reported[dir] = pg.CurrentSortDirection
		if len(pg.Records) < 2 || pg.Records[0].ID == pg.Records[1].ID {
			return 0, nil
		}
		if pg.Records[0].ID < pg.Records[1].ID {
			return 1, nil
		}
		return -1, nil
	}
	first, err := order(1)
	if err != nil || first == 0 {
		if first == 0 {
			c.Name = "unseen"
		}
		return c, err
	}
	if first > 0 { // endpoint, or ascending whatever dir says
		second, err := order(-1)
		if err != nil {
			return c, err
		}
		if second > 0 {
			c.Name, c.HasDesc = "ignored-asc", false
		}
		return c, nil
	}
	second, err := order(0) // legacy, or descending whatever dir says
	if err != nil {
		return c, err
	}
	if second < 0 {
		c.Name, c.Asc, c.Desc, c.HasAsc = "ignored-desc", 0, 1, false
		return c, nil
	}
	c.Name, c.Asc, c.Desc = "legacy", 0, 1
	return c, nil
}
