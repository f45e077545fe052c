package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
	"contactbulk/sandbox/sandboxtest"
)

// The list paths lookups read.
const (
	contractsList = "/api/billing/coworkercontracts"
	coworkersList = "/api/spaces/coworkers"
	countriesList = "/api/sys/countries"
)

// lookupEnv is a sandboxtest server that counts requests by path, and a
// client for it with a daily write budget kept in dir.
type lookupEnv struct {
	s      *sandboxtest.Server
	client *nexudus.Client
	dir    string
}

func newLookupEnv(t *testing.T, cfg sandbox.Config) *lookupEnv {
	t.Helper()
	s := sandboxtest.New(t, cfg)
	dir := t.TempDir()
	c, err := nexudus.New(testClientConfig(s.URL, s.Token, 2500, dir))
	if err != nil {
		t.Fatal(err)
	}
	return &lookupEnv{s: s, client: c, dir: dir}
}

// writeSheet writes a CSV sheet of header and rows into the env's folder.
func (e *lookupEnv) writeSheet(t *testing.T, name string, header []string, rows [][]string) string {
	t.Helper()
	path := filepath.Join(e.dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write(header)
	w.WriteAll(rows)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// run imports path (a plan with plan) and returns the summary and the
// results file's rows.
func (e *lookupEnv) run(t *testing.T, path string, opt Options) (Summary, []resultRow) {
	t.Helper()
	if opt.Results == "" {
		opt.Results = DefaultResultsPath(path)
	}
	base := testOptions(opt.Results)
	base.Plan, base.Inactive, base.SkipInvalid = opt.Plan, opt.Inactive, opt.SkipInvalid
	sum, err := Run(context.Background(), openInput(t, path), e.client, base)
	if err != nil {
		t.Fatalf("import %s: %v", filepath.Base(path), err)
	}
	return sum, readResults(t, opt.Results)
}

// TestLookupsResolve: each kind of lookup finds its record, exactly after
// folding case, spacing and Unicode form; a holder with two active
// contracts, two holders with one name and two companies that differ only
// in case and spacing make the row invalid naming every candidate; a
// cancelled contract, or one not active yet, is used only with
// --include-inactive; a country by name and by ISO code; an Id and a
// lookup that disagree are refused naming both; a value that matches
// nothing names the closest.
func TestLookupsResolve(t *testing.T) {
	t.Parallel()
	e := newLookupEnv(t, sandbox.Config{})
	header := []string{"Name", "Contract", "Holder Email", "Holder", "Company", "Billing Name", "Member Email", "Country"}
	type want struct {
		status                      Status
		contract, coworker, country string // the results file's Id columns
		msg                         []string
	}
	tests := []struct {
		name     string
		row      []string // Contract, Holder Email, Holder, Company, Billing Name, Member Email, Country
		active   want
		inactive want // with --include-inactive; zero: as active
	}{
		{"holder email", []string{"", "grace@compiler.example", "", "", "", "", ""},
			want{status: New, contract: "1002"}, want{status: Invalid, msg: []string{"2 contracts have holder email", "1002 (Grace Hopper, Virtual Office Plus)", "1013 (Grace Hopper, Registered Address, cancelled)"}}},
		{"holder email in another case", []string{"", " HEDY.lamarr@frequencyhopping.EXAMPLE ", "", "", "", "", ""}, want{status: New, contract: "1010"}, want{}},
		{"holder name", []string{"", "", "josé  MARTÍNEZ", "", "", "", ""}, want{status: New, contract: "1004"}, want{}},
		{"company", []string{"", "", "", "  compiler   WORKS ", "", "", ""}, want{status: New, contract: "1002"}, want{status: Invalid, msg: []string{"1002", "1013"}}},
		{"billing name", []string{"", "", "", "", "Frequency Hopping Inc", "", ""}, want{status: New, contract: "1010"}, want{}},
		{"two active contracts", []string{"", "ada@analytical.example", "", "", "", "", ""},
			want{status: Invalid, msg: []string{"ContractHolderEmail: 2 ", "contracts have holder email \"ada@analytical.example\"", "1001 (Ada Lovelace, Virtual Office)", "1011 (Ada Lovelace, Mail Handling)", "give CoworkerContractId"}}, want{}},
		{"two holders of one name", []string{"", "", "John Smith", "", "", "", ""},
			want{status: Invalid, msg: []string{"contracts have holder name \"John Smith\"", "1006 (John Smith", "1007 (John Smith"}}, want{}},
		{"companies differing in case and spacing", []string{"", "", "", "Acme Widgets Ltd", "", "", ""},
			want{status: Invalid, msg: []string{"contracts have company name", "1008 (Priya Patel", "1009 (Tom Baker"}}, want{}},
		{"two lookups tell them apart", []string{"", "priya@acmewidgets.example", "", "ACME WIDGETS LTD", "", "", ""}, want{status: New, contract: "1008"}, want{}},
		{"a cancelled contract", []string{"", "margaret@apollo.example", "", "", "", "", ""},
			want{status: Invalid, msg: []string{"no active contract has holder email \"margaret@apollo.example\": 1012 (Margaret Hamilton, Virtual Office, cancelled); use --include-inactive"}},
			want{status: New, contract: "1012"}},
		{"a contract not active yet", []string{"", "katherine@trajectory.example", "", "", "", "", ""},
			want{status: Invalid, msg: []string{"1014 (Katherine Johnson, Virtual Office Plus, not active)"}}, want{status: New, contract: "1014"}},
		{"no such holder", []string{"", "ada@analytcal.example", "", "", "", "", ""},
			want{status: Invalid, msg: []string{`contract has holder email "ada@analytcal.example" (closest: "ada@analytical.example")`}}, want{}},
		{"an Id and a lookup that agree", []string{"1011", "ada@analytical.example", "", "", "", "", ""}, want{status: New}, want{}},
		{"an Id and a lookup that disagree", []string{"1001", "grace@compiler.example", "", "", "", "", ""},
			want{status: Invalid, msg: []string{`ContractHolderEmail: "grace@compiler.example" disagrees with CoworkerContractId 1001, whose holder email is "ada@analytical.example"`,
				`if column "Holder Email" means something else, such as the contact's own company, ignore it with --map "Holder Email=-"`}}, want{}},
		{"an Id of no contract", []string{"1999", "grace@compiler.example", "", "", "", "", ""},
			want{status: Invalid, msg: []string{"CoworkerContractId: 1999 is not in the space's contracts"}}, want{}},
		{"coworker by email", []string{"1005", "", "", "", "", "Hedy.Lamarr@FrequencyHopping.example", ""}, want{status: New, coworker: "2010"}, want{}},
		{"no such coworker", []string{"1005", "", "", "", "", "nobody@nowhere.example", ""},
			want{status: Invalid, msg: []string{`CoworkerEmail: no coworker has email "nobody@nowhere.example"`}}, want{}},
		{"country by name", []string{"1005", "", "", "", "", "", "spain"}, want{status: New, country: "3"}, want{}},
		{"country by ISO code", []string{"1005", "", "", "", "", "", "es"}, want{status: New, country: "3"}, want{}},
		{"a name inside another", []string{"1005", "", "", "", "", "", "United States"}, want{status: New, country: "2"}, want{}},
		{"a name with an accent, decomposed", []string{"1005", "", "", "", "", "", "Co\u0302te d'Ivoire"}, want{status: New, country: "60"}, want{}},
		{"a code of no country", []string{"1005", "", "", "", "", "", "UK"},
			want{status: Invalid, msg: []string{`Country: no country of the space has the ISO code "UK"`}}, want{}},
		{"a misspelt country", []string{"1005", "", "", "", "", "", "Untied Kingdom"},
			want{status: Invalid, msg: []string{`Country: no country of the space is named "Untied Kingdom" (closest: "United Kingdom")`}}, want{}},
		{"everything at once", []string{"", "wei@eastern.example", "", "", "", "alan@bletchley.example", "JP"},
			want{status: New, contract: "1005", coworker: "2003", country: "29"}, want{}},
	}
	var rows [][]string
	for i, tc := range tests {
		rows = append(rows, append([]string{fmt.Sprintf("Person %d", i)}, tc.row...))
	}
	path := e.writeSheet(t, "by-name.csv", header, rows)
	for _, inactive := range []bool{false, true} {
		results := filepath.Join(e.dir, fmt.Sprintf("plan-%v.csv", inactive))
		sum, got := e.run(t, path, Options{Results: results, Plan: true, Inactive: inactive})
		if sum.Lookups == nil || sum.Lookups.Rows != len(tests) || sum.Lookups.Reads != 3 {
			t.Errorf("inactive %v: lookups %+v, want %d rows in 3 reads", inactive, sum.Lookups, len(tests))
		}
		for i, tc := range tests {
			w := tc.active
			if inactive && tc.inactive.status != "" {
				w = tc.inactive
			}
			r := got[i]
			if r.status != w.status {
				t.Errorf("%s (inactive %v): %s %q, want %s", tc.name, inactive, r.status, r.msg, w.status)
				continue
			}
			for _, m := range w.msg {
				if !strings.Contains(r.msg, m) {
					t.Errorf("%s (inactive %v): message %q lacks %q", tc.name, inactive, r.msg, m)
				}
			}
			if w.status == Invalid {
				continue
			}
			// The Contract column is the sheet's own: a blank one is
			// filled with the Id found; the others are appended.
			contract := w.contract
			if contract == "" {
				contract = tc.row[0]
			}
			if r.cells["Contract"] != contract || r.cells["CoworkerId"] != w.coworker || r.cells["CountryId"] != w.country {
				t.Errorf("%s (inactive %v): Ids %q, %q, %q; want %q, %q, %q", tc.name, inactive,
					r.cells["Contract"], r.cells["CoworkerId"], r.cells["CountryId"], contract, w.coworker, w.country)
			}
		}
	}
	if n := e.s.Requests("POST", "/api/billing/contractcontacts"); n != 0 {
		t.Errorf("a plan sent %d creates", n)
	}
}

// lookupPeople is n rows that name their contract by holder email or
// company, their coworker by email and their country by name or code,
// each resolving to one record.
func lookupPeople(n int) [][]string {
	holders := []struct{ email, company string }{
		{"grace@compiler.example", ""}, {"", "Bletchley Consulting"}, {"jose@cafenunez.example", ""},
		{"", "Eastern Trading Co"}, {"hedy.lamarr@frequencyhopping.example", ""}, {"", "Smith & Sons Ltd"},
	}
	coworkers := []string{"ada@analytical.example", "", "wei@eastern.example", ""}
	countries := []string{"United Kingdom", "es", "Côte d'Ivoire", "", "JP"}
	var rows [][]string
	for i := range n {
		h := holders[i%len(holders)]
		coworker := ""
		if i < len(holders) {
			// A contact linked to a coworker is that coworker on its
			// contract: one row each.
			coworker = coworkers[i%len(coworkers)]
		}
		rows = append(rows, []string{fmt.Sprintf("Person %03d", i+1), h.email, h.company, coworker, countries[i%len(countries)]})
	}
	return rows
}

var lookupHeader = []string{"Full Name", "Contract Email", "Company Name", "Coworker Email", "Country"}

// TestLookupsReadEachListOnce: looking Ids up costs reads in proportion to
// the lists, not to the rows: 30 rows and 300 rows read each list once
// when it fits a page, and as many times as it has pages when it does
// not. A plan writes nothing and spends none of the daily write budget.
func TestLookupsReadEachListOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rows, pageSize int
		want           [3]int // reads of contracts (14), coworkers (12), countries (28)
	}{
		{30, 0, [3]int{1, 1, 1}},
		{300, 0, [3]int{1, 1, 1}},
		{300, 5, [3]int{3, 3, 6}},
	} {
		t.Run(fmt.Sprintf("%d rows, pages of %d", tc.rows, tc.pageSize), func(t *testing.T) {
			t.Parallel()
			e := newLookupEnv(t, sandbox.Config{MaxPageSize: tc.pageSize})
			path := e.writeSheet(t, "people.csv", lookupHeader, lookupPeople(tc.rows))
			sum, rows := e.run(t, path, Options{Plan: true})
			if sum.New != tc.rows || sum.Invalid != 0 {
				t.Fatalf("plan: %d new, %d invalid (first: %+v); want %d new", sum.New, sum.Invalid, rows[0], tc.rows)
			}
			for i, p := range []string{contractsList, coworkersList, countriesList} {
				if got := e.s.Requests("GET", p); got != tc.want[i] {
					t.Errorf("%s read %d times, want %d", p, got, tc.want[i])
				}
			}
			if got, want := sum.Lookups.Reads, tc.want[0]+tc.want[1]+tc.want[2]; got != want {
				t.Errorf("the summary counts %d reads, want %d", got, want)
			}
			if used, err := e.client.WritesUsed(); err != nil || used != 0 {
				t.Errorf("the daily write budget holds %d writes (%v), want none", used, err)
			}
			if n := e.s.Requests("POST", "/api/billing/contractcontacts"); n != 0 {
				t.Errorf("a plan sent %d creates", n)
			}
		})
	}
}

// TestLookupsImportOnce: a sheet that names its records is imported, and
// imported again creates nothing; its results file, with the Ids found
// beside the names, fed back as it is, creates nothing either and checks
// the names against the Ids; a row fixed in it is created.
func TestLookupsImportOnce(t *testing.T) {
	t.Parallel()
	e := newLookupEnv(t, sandbox.Config{})
	rows := lookupPeople(40)
	rows[7][1], rows[7][2] = "ada@analytcal.example", "" // matches nothing
	path := e.writeSheet(t, "people.csv", lookupHeader, rows)
	sum, got := e.run(t, path, Options{SkipInvalid: true})
	if sum.Created != 39 || sum.Invalid != 1 || got[7].status != Invalid || !strings.Contains(got[7].msg, `closest: "ada@analytical.example"`) {
		t.Fatalf("first import: %+v; row 9: %+v", countsOf(sum), got[7])
	}
	if sum.Verified == nil || sum.Verified.Duplicates != 0 {
		t.Errorf("verification %v", sum.Verified)
	}
	if used, err := e.client.WritesUsed(); err != nil || used != 39 {
		t.Errorf("the daily write budget counts %d writes (%v), want the 39 creates: lookups are reads", used, err)
	}
	for i, r := range got {
		if i == 7 {
			continue
		}
		rec := recordByID(t, e.s.Sandbox, r.id)
		want := map[string]string{"CoworkerContractId": strconv.FormatInt(rec.CoworkerContractID, 10), "CoworkerId": idText(rec.CoworkerID), "CountryId": idText(rec.CountryID)}
		for col, w := range want {
			if r.cells[col] != w {
				t.Errorf("row %d: results %s %q, the record has %q", r.row, col, r.cells[col], w)
			}
		}
	}
	created := e.s.Sandbox.Count()

	sum, _ = e.run(t, path, Options{Results: filepath.Join(e.dir, "again.csv"), SkipInvalid: true})
	if sum.Created != 0 || sum.Exists != 39 || e.s.Sandbox.Count() != created {
		t.Errorf("the same sheet again: %+v, %d records (was %d)", countsOf(sum), e.s.Sandbox.Count(), created)
	}

	// The results file fed back as it is: its Ids are read as Ids, its
	// names checked against them.
	results := DefaultResultsPath(path)
	listsBefore := e.s.Requests("GET", contractsList)
	sum, fed := e.run(t, results, Options{SkipInvalid: true})
	if sum.Created != 0 || sum.Invalid != 1 || e.s.Sandbox.Count() != created {
		t.Errorf("the results file fed back: %+v, %d records (was %d)", countsOf(sum), e.s.Sandbox.Count(), created)
	}
	if e.s.Requests("GET", contractsList) != listsBefore+1 {
		t.Error("the results file fed back did not check its names against its Ids")
	}
	if len(fed) != len(rows) || fed[0].cells["CoworkerContractId"] != got[0].cells["CoworkerContractId"] {
		t.Errorf("fed back, the results file lost its Ids: %+v", fed[0])
	}

	// Fix the invalid row, and make another row's name disagree with its Id.
	fixed := rewriteResults(t, results, func(rec []string, col map[string]int) {
		switch rec[0] {
		case "9":
			rec[col["Contract Email"]] = "wei@eastern.example"
		case "3":
			rec[col["Contract Email"]] = "grace@compiler.example"
			rec[col["Company Name"]] = ""
		}
	})
	sum, fed = e.run(t, fixed, Options{SkipInvalid: true})
	if sum.Created != 1 || sum.Invalid != 1 || e.s.Sandbox.Count() != created+1 {
		t.Errorf("fixed and fed back: %+v, %d records (was %d)", countsOf(sum), e.s.Sandbox.Count(), created)
	}
	if fed[7].status != Created || fed[7].cells["CoworkerContractId"] == "" {
		t.Errorf("the fixed row: %+v", fed[7])
	}
	if fed[1].status != Invalid || !strings.Contains(fed[1].msg, "disagrees with CoworkerContractId") {
		t.Errorf("a name that disagrees with its Id: %+v", fed[1])
	}
}

// TestLookupColumnIgnored: a Company column that holds the contact's own
// employer, not the contract holder's company, disagrees with the row's
// CoworkerContractId, and the message says how to ignore it; mapped to
// "-" it is not read, and the row is new. A sheet whose own
// CoworkerContractId column (an old system's ids) is ignored while a
// lookup finds the contract gets the Ids in a column of that name
// appended to its results file, which fed back with the same mapping is
// read and checked, and not appended again.
func TestLookupColumnIgnored(t *testing.T) {
	t.Parallel()
	e := newLookupEnv(t, sandbox.Config{})
	plan := func(t *testing.T, path string, m mapping.Mapping) []resultRow {
		t.Helper()
		in, err := Open(path, nil, ReadOptions{Mapping: m})
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		results := DefaultResultsPath(path)
		opt := testOptions(results)
		opt.Plan = true
		if _, err := Run(context.Background(), in, e.client, opt); err != nil {
			t.Fatal(err)
		}
		return readResults(t, results)
	}
	t.Run("employer", func(t *testing.T) {
		path := e.writeSheet(t, "employers.csv", []string{"CoworkerContractId", "FullName", "Company"}, [][]string{{"1001", "Ann Lee", "Acme Ltd"}})
		got := plan(t, path, mapping.Mapping{})
		if len(got) != 1 || got[0].status != Invalid || !strings.Contains(got[0].msg, `if column "Company" means something else, such as the contact's own company, ignore it with --map "Company=-"`) {
			t.Errorf("read as the contract's company: %+v", got)
		}
		got = plan(t, path, mapping.Mapping{Columns: map[string]string{"company": mapping.Ignore}})
		if len(got) != 1 || got[0].status != New {
			t.Errorf("ignored: %+v, want new", got)
		}
	})
	t.Run("old ids", func(t *testing.T) {
		ignore := mapping.Mapping{Columns: map[string]string{"CoworkerContractId": mapping.Ignore}}
		path := e.writeSheet(t, "old-ids.csv", []string{"Full Name", "CoworkerContractId", "Holder Email"}, [][]string{{"Ann Lee", "OLD-7", "grace@compiler.example"}})
		got := plan(t, path, ignore)
		if len(got) != 1 || got[0].status != New || got[0].cells["CoworkerContractId"] != "1002" { // the appended column, read last
			t.Fatalf("first plan: %+v", got)
		}
		results := DefaultResultsPath(path)
		header := func() string {
			data, err := os.ReadFile(results)
			if err != nil {
				t.Fatal(err)
			}
			return strings.SplitN(string(data), "\n", 2)[0]
		}
		const want = "row,status,id,error,Full Name,CoworkerContractId,Holder Email,CoworkerContractId"
		if h := header(); h != want {
			t.Fatalf("results header %q, want %q", h, want)
		}
		// Fed back with a wrong Id where the lookup's was: checked.
		fed := rewriteResults(t, results, func(rec []string, col map[string]int) { rec[len(rec)-1] = "1001" })
		if got := plan(t, fed, ignore); len(got) != 1 || got[0].status != Invalid || !strings.Contains(got[0].msg, "disagrees with CoworkerContractId 1001") {
			t.Errorf("fed back with another Id: %+v", got)
		}
		// Fed back as written: the same columns again.
		if got := plan(t, results, ignore); len(got) != 1 || got[0].status != New {
			t.Errorf("fed back: %+v", got)
		}
		if h := header(); h != want {
			t.Errorf("fed back, the results header became %q", h)
		}
	})
}

// rewriteResults copies a results file with edit applied to each data
// line and returns the copy's path.
func rewriteResults(t *testing.T, path string, edit func(rec []string, col map[string]int)) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, rec := range recs[1:] {
		edit(rec, col)
	}
	out := strings.TrimSuffix(path, ".results.csv") + "-fixed.csv"
	g, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(g)
	w.WriteAll(recs)
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLookupsNeedTheirRoles: credentials without the role to list a list
// a row needs stop the run before anything is written, naming the role;
// every row stays pending, saying why.
func TestLookupsNeedTheirRoles(t *testing.T) {
	t.Parallel()
	e := newLookupEnv(t, sandbox.Config{Behaviour: sandbox.Behaviour{Roles: []string{
		"ContractContact-List", "ContractContact-Read", "ContractContact-Create", "Coworker-List", "Country-List"}}})
	path := e.writeSheet(t, "people.csv", lookupHeader, lookupPeople(5))
	results := DefaultResultsPath(path)
	sum, err := Run(context.Background(), openInput(t, path), e.client, testOptions(results))
	var fe *nexudus.ForbiddenError
	if !errors.As(err, &fe) || fe.Role != "CoworkerContract-List" || !nexudus.StopsRun(err) {
		t.Fatalf("error %v, want a 403 naming CoworkerContract-List", err)
	}
	if sum.Pending != 5 || e.s.Sandbox.Count() != 0 {
		t.Errorf("%+v, %d records; want 5 pending, nothing written", countsOf(sum), e.s.Sandbox.Count())
	}
	for _, r := range readResults(t, results) {
		if !strings.Contains(r.msg, "CoworkerContract-List") {
			t.Errorf("row %d: %q does not say why", r.row, r.msg)
		}
	}
}

// TestLookupsRepeat: two rows that name the same contact, once their Ids
// are looked up, are one row too many: the later is invalid.
func TestLookupsRepeat(t *testing.T) {
	t.Parallel()
	e := newLookupEnv(t, sandbox.Config{})
	path := e.writeSheet(t, "people.csv", []string{"Name", "Contract", "Holder Email"}, [][]string{
		{"Ann Lee", "", "grace@compiler.example"},
		{"ann  lee", "1002", ""},
		{"Bob Ray", "1002", ""},
	})
	sum, rows := e.run(t, path, Options{Plan: true})
	if sum.New != 2 || sum.Invalid != 1 || rows[1].status != Invalid || !strings.Contains(rows[1].msg, "repeats row 2") {
		t.Errorf("%+v; row 3: %+v", countsOf(sum), rows[1])
	}
}

// TestLookupsDryRunIsOffline: a dry run checks the lookup values' shape
// and says how many rows will be looked up, without a request.
func TestLookupsDryRunIsOffline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(path, []byte("Name,Contract,Holder Email,Country\n"+
		"Ann,,ada@analytical.example,Spain\n"+
		"Bob,1002,grace@compiler.example,\n"+
		"Cy,,,GB\n"+
		"Di,,not an email,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := openInput(t, path)
	var report strings.Builder
	sum, err := DryRun(context.Background(), in, "", &report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"note: 1 row names its contract by holder email: looked up when importing; --plan shows the result",
		"note: 1 row gives both CoworkerContractId and its holder email: checked to agree when importing",
		"note: 1 row names its country by name or ISO code: looked up when importing",
		"row 4, CoworkerContractId: is a required field: give it, or ContractHolderEmail to look it up",
		`row 5, ContractHolderEmail: "not an email" is not an email address`,
	} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}
	if sum.Valid != 2 || sum.Invalid != 2 || sum.Lookups == nil || sum.Lookups.Rows != 2 {
		t.Errorf("%+v, lookups %+v", sum, sum.Lookups)
	}
}

// TestLookupsStopOnAHalfList: a list the server cannot page whole (it
// serves page 1 again) is never taken as the whole list: the run stops
// before writing anything, saying why, after reading it twice.
func TestLookupsStopOnAHalfList(t *testing.T) {
	t.Parallel()
	e := newLookupEnv(t, sandbox.Config{MaxPageSize: 5, Behaviour: sandbox.Behaviour{SamePage: true}})
	path := e.writeSheet(t, "people.csv", lookupHeader, lookupPeople(5))
	results := DefaultResultsPath(path)
	sum, err := Run(context.Background(), openInput(t, path), e.client, testOptions(results))
	var pe *nexudus.PagingError
	if !errors.As(err, &pe) || pe.List != "contracts" {
		t.Fatalf("error %v, want a *nexudus.PagingError for the contracts", err)
	}
	if sum.Pending != 5 || e.s.Sandbox.Count() != 0 || !strings.Contains(sum.Stopped, "the contracts list could not be read") {
		t.Errorf("%+v, stopped %q, %d records; want 5 pending, nothing written", countsOf(sum), sum.Stopped, e.s.Sandbox.Count())
	}
	if n := e.s.Requests("GET", contractsList); n != 4 {
		t.Errorf("the contracts list was asked %d times, want 4 (two pages, twice)", n)
	}
}

// TestLookupsWorkbook: a workbook that names its records gets a results
// workbook with the Ids found in their own columns, and the cell of a
// name that matched nothing marked as wrong; fed back as it is, it
// creates nothing twice.
func TestLookupsWorkbook(t *testing.T) {
	t.Parallel()
	e := newLookupEnv(t, sandbox.Config{})
	path := writeWorkbook(t, e.dir, "members.xlsx", [][]string{
		{"Name", "Holder Email", "Country"},
		{"Ann Lee", "grace@compiler.example", "GB"},
		{"Bob Roe", "nobody@nowhere.example", "Spain"},
	})
	sum, err := Run(context.Background(), openInput(t, path), e.client, Options{SkipInvalid: true, LandingWait: testLandingWait})
	if err != nil || sum.Created != 1 || sum.Invalid != 1 {
		t.Fatalf("%+v, %v; want 1 created, 1 invalid", countsOf(sum), err)
	}
	results := filepath.Join(e.dir, "members.results.xlsx")
	x, err := excelize.OpenFile(results)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "row,status,id,error,Name,Holder Email,Country,CoworkerContractId,CountryId" {
		t.Errorf("header %q", got)
	}
	if got := strings.Join(rows[1][7:], ","); got != "1002,1" {
		t.Errorf("Ids found for row 2: %q", got)
	}
	if got := strings.Join(rows[2][7:], ","); got != ",3" {
		t.Errorf("Ids found for row 3: %q", got)
	}
	plain, _ := x.GetCellStyle(sheet, "E3")
	if st, _ := x.GetCellStyle(sheet, "F3"); st == plain {
		t.Error("the holder email that matched nothing is not marked")
	}
	sum, err = Run(context.Background(), openInput(t, results), e.client, Options{Results: results, SkipInvalid: true, LandingWait: testLandingWait})
	if err != nil || sum.Created != 0 || sum.Skipped != 1 || e.s.Sandbox.Count() != 1 {
		t.Errorf("fed back: %+v, %v, %d records; want 1 already done, nothing created", countsOf(sum), err, e.s.Sandbox.Count())
	}
}

// TestLookupsTellNamesakesApart: two John Smiths on one contract, told
// apart by their member emails, are two contacts, not a repeat.
func TestLookupsTellNamesakesApart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "smiths.csv")
	if err := os.WriteFile(path, []byte("Contract,Name,Member Email\n1001,John Smith,a@example.com\n1001,John Smith,b@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := openInput(t, path)
	var report strings.Builder
	sum, err := DryRun(context.Background(), in, "", &report)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Invalid != 0 || sum.Valid != 2 {
		t.Errorf("%+v:\n%s\nwant both rows valid", sum, report.String())
	}
}
