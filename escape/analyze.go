package escape

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hotpath-dev/hotpath/internal/gocmd"
)

// textFlags are the compiler flags of the text channel: -m=2 for escape, inlining and devirtualisation,
// check_bce for bounds checks left, nil for nil checks generated. The go command replays this text from its
// build cache.
var textFlags = []string{"-m=2", "-d=ssa/check_bce/debug=1,nil=1"}

// Analyze builds the packages cfg names with the compiler's diagnostics on and returns the report. A build
// failure returns a *BuildError (wrapping ErrBuild) holding the compiler's errors; go missing, no module and
// no such package wrap the gocmd sentinels.
func Analyze(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.normalise(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cmp.Or(cfg.Dir, "."))
	if err != nil {
		return nil, fmt.Errorf("escape: analyze: %w", err)
	}
	cfg.Dir = dir
	run := func(ctx context.Context, c gocmd.Cmd) (gocmd.Result, error) {
		c.Go, c.Dir, c.Env = cfg.Go, dir, cfg.Env
		return gocmd.Run(ctx, c)
	}
	env, err := gocmd.Env(ctx, gocmd.Cmd{Go: cfg.Go, Dir: dir, Env: cfg.Env}, "GOVERSION", "GOOS", "GOARCH", "GOFLAGS")
	if err != nil {
		return nil, fmt.Errorf("escape: analyze: %w", err)
	}
	stamp, err := newStamp(cfg, env)
	if err != nil {
		return nil, err
	}
	targets, err := listTargets(ctx, run, cfg)
	if err != nil {
		return nil, err
	}
	if stamp.PGO == "auto" {
		stamp.PGO, stamp.PGOHash = autoPGO(targets.mainDirs)
	}

	// The JSON log directory: stable under CacheDir (so the action IDs, and the build cache, are reused),
	// else fresh.
	var root, store string
	if cfg.CacheDir != "" {
		if cfg.CacheDir, err = filepath.Abs(cfg.CacheDir); err != nil {
			return nil, fmt.Errorf("escape: analyze: cache: %w", err)
		}
		sum := sha256.Sum256([]byte(strings.Join(append([]string{dir, stamp.GoVersion, stamp.GOOS, stamp.GOARCH, strconv.FormatBool(cfg.Tests), cfg.PGO, strings.Join(cfg.Tags, ",")}, cfg.Patterns...), "\x00")))
		base := filepath.Join(cfg.CacheDir, "escape-v1")
		root = filepath.Join(base, "run-"+hex.EncodeToString(sum[:8]))
		store = filepath.Join(base, "store")
		if err := os.MkdirAll(store, 0o755); err != nil {
			return nil, fmt.Errorf("escape: analyze: cache: %w", err)
		}
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, fmt.Errorf("escape: analyze: cache: %w", err)
		}
		unlock, err := lockFile(filepath.Join(root, "lock"))
		if err != nil {
			return nil, fmt.Errorf("escape: analyze: cache lock: %w", err)
		}
		defer unlock()
	} else {
		root, err = os.MkdirTemp("", "hotpath-escape-")
		if err != nil {
			return nil, fmt.Errorf("escape: analyze: %w", err)
		}
		defer os.RemoveAll(root)
	}
	jsonRoot := filepath.Join(root, "json")
	if err := os.RemoveAll(jsonRoot); err != nil {
		return nil, fmt.Errorf("escape: analyze: cache: %w", err)
	}

	b := &build{cfg: cfg, run: run, targets: targets, jsonRoot: jsonRoot, store: store, external: targets.externalFunc(dir)}
	out, actions, err := b.compile(ctx, jsonRoot, targets.flagPaths, true)
	if err != nil {
		return nil, err
	}
	text := keepSections(out, targets.keep, targets.superseded)
	parsed := ParseText(text, stamp.GoVersion)
	rep := &Report{Schema: Schema, Stamp: stamp, Lines: parsed.Lines, Notes: parsed.Notes,
		UnknownCount: parsed.UnknownCount, Unknown: parsed.Unknown, Facts: parsed.Facts}
	rep.Stamp.Profile = parsed.Profile
	normalisePaths(rep.Facts, dir)
	cached, err := b.logs(ctx, rep, actions)
	if err != nil {
		return nil, err
	}
	fillFuncs(rep.Facts, dir)
	for i := range rep.Facts {
		rep.Facts[i].External = b.external(rep.Facts[i].File)
	}
	rep.finish(targets.keep, cached, cfg.External)
	return rep, nil
}

// newStamp fills the stamp from the config and go env.
func newStamp(cfg Config, env map[string]string) (Stamp, error) {
	s := Stamp{GoVersion: env["GOVERSION"], GOOS: env["GOOS"], GOARCH: env["GOARCH"], GOFLAGS: env["GOFLAGS"],
		Tags: cfg.Tags, Tests: cfg.Tests, External: cfg.External, Dir: cfg.Dir, Patterns: cfg.Patterns, PGO: cmp.Or(cfg.PGO, "auto"),
		Flags: append(append([]string(nil), textFlags...), "-json=0,…")}
	if cfg.PGO != "" && cfg.PGO != "off" && cfg.PGO != "auto" {
		p := cfg.PGO
		if !filepath.IsAbs(p) {
			p = filepath.Join(cfg.Dir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return s, fmt.Errorf("escape: analyze: pgo profile: %w", err)
		}
		sum := sha256.Sum256(data)
		s.PGOHash = hex.EncodeToString(sum[:])
	}
	return s, nil
}

// autoPGO finds the profile -pgo=auto uses: default.pgo in a main package's directory. It returns "auto"
// and no hash when there is none; with several, the first (the go command uses each for its own binary).
func autoPGO(mainDirs []string) (setting, hash string) {
	for _, d := range mainDirs {
		p := filepath.Join(d, "default.pgo")
		if data, err := os.ReadFile(p); err == nil {
			sum := sha256.Sum256(data)
			return "auto: " + p, hex.EncodeToString(sum[:])
		}
	}
	return "auto", ""
}

// targets are the packages the patterns name, as go list prints them ("p", "p [p.test]", "p_test [p.test]").
type targets struct {
	keep       []string        // import paths whose facts are reported (variants stripped)
	full       []string        // paths[i] as go list and the action graph name it ("p [p.test]")
	paths      []string        // import paths of the reported packages (variants stripped, deduplicated)
	flag       []string        // flag[i]: the import path whose -gcflags reach paths[i] (an external test gets its package's)
	logPkg     []string        // logPkg[i]: the -p name the compiler gives paths[i], under which it files its log
	flagPaths  []string        // the distinct flag paths, to put diagnostics flags on
	superseded map[string]bool // plain packages replaced by their test variant (Tests only)
	mainDirs   []string        // directories of main packages, where -pgo=auto looks for default.pgo
	pkgDirs    []string        // the listed packages' directories: their code
	modDirs    []string        // the root directories of their modules (none for the standard library): their code too
}

func buildFlags(cfg Config) []string {
	var f []string
	if cfg.Tests {
		f = append(f, "-test")
	}
	if len(cfg.Tags) > 0 {
		f = append(f, "-tags="+strings.Join(cfg.Tags, ","))
	}
	if cfg.PGO != "" {
		f = append(f, "-pgo="+cfg.PGO)
	}
	return f
}

func listTargets(ctx context.Context, run func(context.Context, gocmd.Cmd) (gocmd.Result, error), cfg Config) (targets, error) {
	args := append(append([]string{"list"}, buildFlags(cfg)...), `-f={{.ImportPath}}{{"\t"}}{{.Name}}{{"\t"}}{{.Dir}}{{"\t"}}{{with .Module}}{{.Dir}}{{end}}`)
	res, err := run(ctx, gocmd.Cmd{Args: append(append(args, "--"), cfg.Patterns...)})
	if err != nil {
		return targets{}, fmt.Errorf("escape: analyze: %w", err)
	}
	t := targets{superseded: map[string]bool{}}
	type listed struct{ path, name string }
	var all []listed
	variants := map[string]bool{}
	for line := range strings.Lines(string(res.Stdout)) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		if len(f) != 4 || f[0] == "" {
			continue
		}
		p, name, dir, modDir := f[0], f[1], f[2], f[3]
		if name == "main" && !strings.Contains(p, " [") {
			t.mainDirs = append(t.mainDirs, dir)
		}
		if dir != "" && !slices.Contains(t.pkgDirs, dir) {
			t.pkgDirs = append(t.pkgDirs, dir)
		}
		if modDir != "" && !slices.Contains(t.modDirs, modDir) {
			t.modDirs = append(t.modDirs, modDir)
		}
		all = append(all, listed{p, name})
		if name, _, ok := strings.Cut(p, " ["); ok {
			variants[name] = true
		}
	}
	seen := map[string]bool{}
	for _, l := range all {
		p := l.path
		name, test, isVariant := strings.Cut(p, " [")
		test = strings.TrimSuffix(strings.TrimSuffix(test, "]"), ".test")
		if cfg.Tests && strings.HasSuffix(name, ".test") && !isVariant {
			continue // the generated test main
		}
		if !isVariant && variants[name] {
			t.superseded[name] = true
			continue
		}
		t.keep = append(t.keep, name)
		if seen[name] {
			continue
		}
		seen[name] = true
		t.paths = append(t.paths, name)
		t.full = append(t.full, p)
		flag := name
		if isVariant && name == test+"_test" {
			flag = test // an external test package is compiled with its package's -gcflags
		}
		t.flag = append(t.flag, flag)
		if !slices.Contains(t.flagPaths, flag) {
			t.flagPaths = append(t.flagPaths, flag)
		}
		logPkg := name
		if l.name == "main" && !isVariant {
			logPkg = "main"
		}
		t.logPkg = append(t.logPkg, logPkg)
	}
	if len(t.keep) == 0 {
		return t, fmt.Errorf("escape: analyze %s: %w", strings.Join(cfg.Patterns, " "), gocmd.ErrNoPackage)
	}
	return t, nil
}

// action is the part of the go command's -debug-actiongraph output that tells whether a package was
// compiled by this run or replayed from the build cache.
type action struct {
	ID       int
	Mode     string
	Package  string // the import path without the test variant suffix ("p" for both p and p [p.test])
	Deps     []int
	ActionID string
	Cmd      []string
}

// compileActions maps the packages go list printed (names as it prints them, "p [p.test]" for a test
// variant) to their compile actions. The action graph names a test variant's package like the plain one,
// so names alone cannot tell them apart; but go list -export makes one root action whose dependencies
// are, in order, the actions for the packages it lists that have Go files (cmd/go/internal/list), and
// for a command that action is its link, which depends on its compile.
func compileActions(acts []action, listed []string) (map[string]action, error) {
	byID := make(map[int]*action, len(acts))
	isDep := make(map[int]bool, len(acts))
	for i := range acts {
		byID[acts[i].ID] = &acts[i]
		for _, d := range acts[i].Deps {
			isDep[d] = true
		}
	}
	var root *action
	for i := range acts {
		if !isDep[acts[i].ID] {
			if root != nil {
				return nil, fmt.Errorf("escape: analyze: action graph: %w: more than one root", ErrParse)
			}
			root = &acts[i]
		}
	}
	if root == nil {
		return nil, fmt.Errorf("escape: analyze: action graph: %w: no root", ErrParse)
	}
	if len(root.Deps) != len(listed) {
		return nil, fmt.Errorf("escape: analyze: action graph: %w: the root has %d actions for %d listed packages", ErrParse, len(root.Deps), len(listed))
	}
	m := make(map[string]action, len(listed))
	for i, id := range root.Deps {
		if a := findCompile(byID, id, 0); a != nil {
			m[listed[i]] = *a
		}
	}
	return m, nil
}

// findCompile returns the compile action for the package of action id: the action itself, or the
// compile of the same package below it (install → link → compile).
func findCompile(byID map[int]*action, id, depth int) *action {
	a := byID[id]
	if a == nil || depth > 3 {
		return nil
	}
	if a.Mode == "build" {
		return a
	}
	for _, d := range a.Deps {
		if b := byID[d]; b != nil && b.Package == a.Package {
			if c := findCompile(byID, d, depth+1); c != nil {
				return c
			}
		}
	}
	return nil
}

type build struct {
	cfg      Config
	run      func(context.Context, gocmd.Cmd) (gocmd.Result, error)
	targets  targets
	jsonRoot string
	store    string
	external func(file string) bool // see targets.externalFunc
}

// logDir is the JSON log directory the -gcflags of import path flagPath name: one per package, because
// the compiler names its subdirectory after the -p flag, which is "main" for every command. Inside it, a
// package's log is under logSubdir(its -p name); an external test package's log is under its package's
// directory (it is compiled with its package's flags).
func logDir(root, flagPath string) string { return filepath.Join(root, url.PathEscape(flagPath)) }

// logSubdir is where a package's records are inside logDir: the compiler's own naming.
func logSubdir(dir, logPkg string) string { return filepath.Join(dir, url.PathEscape(logPkg)) }

// compile runs go list -export with the diagnostics flags on paths and returns its compiler output and
// the compile actions of the target packages, by package name as go list prints it.
func (b *build) compile(ctx context.Context, jsonRoot string, paths []string, withText bool) ([]byte, map[string]action, error) {
	graph := filepath.Join(filepath.Dir(jsonRoot), "actions.json")
	args := append([]string{"list", "-export", "-debug-actiongraph=" + graph}, buildFlags(b.cfg)...)
	for _, p := range paths {
		logFlag := "-json=0," + logDir(jsonRoot, p)
		if strings.ContainsAny(logFlag, " \t'\"") { // the go command splits -gcflags like a shell, honouring quotes
			logFlag = strconv.Quote(logFlag)
		}
		flags := append(textFlags[:len(textFlags):len(textFlags)], logFlag)
		args = append(args, "-gcflags="+p+"="+strings.Join(flags, " "))
	}
	// Only packages with Go files get an action (the "\tgo" marker).
	args = append(append(args, `-f={{.ImportPath}}{{if or .GoFiles .CgoFiles}}{{"\t"}}go{{end}}`, "--"), b.cfg.Patterns...)
	var progress io.Writer
	if b.cfg.Progress != nil && withText {
		progress = &progressWriter{fn: b.cfg.Progress, total: len(b.targets.keep)}
	}
	res, err := b.run(ctx, gocmd.Cmd{Args: args, Stderr: progress})
	if err != nil {
		var ge *gocmd.Error
		if errors.As(err, &ge) && errors.Is(err, gocmd.ErrFailed) {
			return nil, nil, &BuildError{Output: compilerErrors(ge.Stderr), Err: err}
		}
		return nil, nil, fmt.Errorf("escape: analyze: %w", err)
	}
	data, err := os.ReadFile(graph)
	if err != nil {
		return nil, nil, fmt.Errorf("escape: analyze: action graph: %w", err)
	}
	var acts []action
	if err := json.Unmarshal(data, &acts); err != nil {
		return nil, nil, fmt.Errorf("escape: analyze: action graph: %w: %v", ErrParse, err)
	}
	var listed []string
	for line := range strings.Lines(string(res.Stdout)) {
		if name, ok := strings.CutSuffix(strings.TrimRight(line, "\n"), "\tgo"); ok {
			listed = append(listed, name)
		}
	}
	m, err := compileActions(acts, listed)
	if err != nil {
		return nil, nil, err
	}
	return res.Stderr, m, nil
}

// compilerErrors keeps the lines of a failed build that are not hotpath's own diagnostics: the compiler's
// errors, exactly as printed, under their "# package" headers.
func compilerErrors(out []byte) []byte {
	var b bytes.Buffer
	header := ""
	for line := range bytes.Lines(out) {
		if bytes.HasPrefix(line, []byte("# ")) {
			header = string(line)
			continue
		}
		p := ParseText(line, "")
		if p.UnknownCount == 0 {
			continue
		}
		if header != "" {
			b.WriteString(header)
			header = ""
		}
		b.Write(line)
	}
	return b.Bytes()
}

// keepSections keeps the "# pkg" sections of the target packages, dropping plain packages superseded by
// their test variant (which repeats them) and generated test mains.
func keepSections(out []byte, keep []string, drop map[string]bool) []byte {
	var b bytes.Buffer
	skip := false
	for line := range bytes.Lines(out) {
		if bytes.HasPrefix(line, []byte("# ")) {
			name := strings.TrimSpace(string(line[2:]))
			path, _, variant := strings.Cut(name, " [")
			skip = (drop[name] && !variant) || !slices.Contains(keep, path)
		}
		if !skip {
			b.Write(line)
		}
	}
	return b.Bytes()
}

type progressWriter struct {
	fn          func(string, int, int)
	done, total int
	partial     []byte
}

func (w *progressWriter) Write(p []byte) (int, error) {
	data := append(w.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		if line := data[:i]; bytes.HasPrefix(line, []byte("# ")) {
			w.done++
			w.fn(string(line[2:]), w.done, w.total)
		}
		data = data[i+1:]
	}
	w.partial = append(w.partial[:0], data...)
	return len(p), nil
}

// externalFunc returns whether a fact's file (as normalisePaths leaves it) is neither in one of the
// packages' directories nor under one of their modules' roots: code of the standard library or another
// module, compiled into an analysed package (generic instantiations). Facts without a file and
// compiler-made wrappers ("<autogenerated>") belong to the package compiled.
func (t *targets) externalFunc(dir string) func(file string) bool {
	memo := map[string]bool{}
	return func(file string) bool {
		if file == "" || file[0] == '<' {
			return false
		}
		ext, ok := memo[file]
		if !ok {
			p := filepath.FromSlash(file)
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			ext = !slices.Contains(t.pkgDirs, filepath.Dir(p)) && !slices.ContainsFunc(t.modDirs, func(m string) bool {
				rel, err := filepath.Rel(m, p)
				return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
			})
			memo[file] = ext
		}
		return ext
	}
}

// normalisePaths makes fact paths relative to dir where they are inside it ("./x.go" → "x.go").
func normalisePaths(facts []Fact, dir string) {
	memo := map[string]string{}
	norm := func(p string) string {
		if p == "" || p[0] == '<' {
			return p
		}
		if r, ok := memo[p]; ok {
			return r
		}
		r := p
		if filepath.IsAbs(p) {
			if rel, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(rel, "..") {
				r = filepath.ToSlash(rel)
			}
		} else {
			r = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "./")
		}
		memo[p] = r
		return r
	}
	for i := range facts {
		f := &facts[i]
		f.File = norm(f.File)
		for j := range f.Flow {
			f.Flow[j].At.File = norm(f.Flow[j].At.File)
		}
		for j := range f.Inline {
			f.Inline[j].File = norm(f.Inline[j].File)
		}
	}
}
