// Package annotate writes findings (a position, a rule and a message) in the forms that editors and CI
// systems read: vet-style text, GitHub Actions workflow commands and SARIF 2.1.0.
package annotate

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// Level is how serious a finding is. The values are SARIF's.
type Level string

// The levels a finding can have.
const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelNote    Level = "note"
)

// Finding is one thing to show at a position in a source file.
type Finding struct {
	File    string // path as the user sees it; absolute or relative to the working directory
	Line    int    // 1-based; 0 when unknown
	Col     int    // 1-based byte column; 0 when unknown
	Rule    string // short identifier, such as "hotpath:inline"
	Level   Level
	Message string // one line
}

// Rule describes a rule for SARIF's tool.driver.rules.
type Rule struct {
	ID    string
	Short string // one sentence
}

// WriteText writes each finding as "file:line:col: rule: message", the form editors jump from.
func WriteText(w io.Writer, fs []Finding) error {
	for _, f := range fs {
		if _, err := fmt.Fprintf(w, "%s: %s: %s\n", posString(f), f.Rule, f.Message); err != nil {
			return err
		}
	}
	return nil
}

func posString(f Finding) string {
	switch {
	case f.Line == 0:
		return f.File
	case f.Col == 0:
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Col)
}

// WriteGitHub writes each finding as a GitHub Actions workflow command (::error file=…,line=…::msg),
// which the runner turns into an annotation on the pull request's diff.
func WriteGitHub(w io.Writer, fs []Finding) error {
	for _, f := range fs {
		cmd := "notice"
		switch f.Level {
		case LevelError:
			cmd = "error"
		case LevelWarning:
			cmd = "warning"
		}
		props := []string{"file=" + escapeProperty(filepath.ToSlash(f.File))}
		if f.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", f.Line))
		}
		if f.Col > 0 {
			props = append(props, fmt.Sprintf("col=%d", f.Col))
		}
		props = append(props, "title="+escapeProperty(f.Rule))
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", cmd, strings.Join(props, ","), escapeData(f.Message)); err != nil {
			return err
		}
	}
	return nil
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string     { return dataEscaper.Replace(s) }
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }

// Tool names the program that produced a SARIF log.
type Tool struct {
	Name           string
	Version        string // optional
	InformationURI string // optional
}

// SARIFVersion and SARIFSchema identify the SARIF format that WriteSARIF produces.
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

// WriteSARIF writes one SARIF 2.1.0 log with a single run. File paths under root are written relative to
// it with the uriBaseId %SRCROOT%, so code-scanning dashboards can place them in the repository; other
// paths become file:// URIs. Rules used by findings but missing from rules are added with no description.
func WriteSARIF(w io.Writer, tool Tool, rules []Rule, fs []Finding, root string) error {
	index := map[string]int{}
	var descs []sarifRule
	addRule := func(r Rule) {
		if _, ok := index[r.ID]; ok {
			return
		}
		index[r.ID] = len(descs)
		d := sarifRule{ID: r.ID}
		if r.Short != "" {
			d.ShortDescription = &sarifMessage{Text: r.Short}
		}
		descs = append(descs, d)
	}
	for _, r := range rules {
		addRule(r)
	}
	results := make([]sarifResult, 0, len(fs))
	for _, f := range fs {
		addRule(Rule{ID: f.Rule})
		level := f.Level
		if level == "" {
			level = LevelWarning
		}
		res := sarifResult{
			RuleID:    f.Rule,
			RuleIndex: index[f.Rule],
			Level:     level,
			Message:   sarifMessage{Text: f.Message},
		}
		loc := sarifPhysical{ArtifactLocation: artifactLocation(f.File, root)}
		if f.Line > 0 {
			loc.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Col}
		}
		res.Locations = []sarifLocation{{PhysicalLocation: loc}}
		results = append(results, res)
	}
	log := sarifLog{
		Schema:  SARIFSchema,
		Version: SARIFVersion,
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: tool.Name, Version: tool.Version, InformationURI: tool.InformationURI, Rules: descs}},
			Results: results,
		}},
	}
	if root != "" {
		log.Runs[0].OriginalURIBaseIDs = map[string]sarifArtifactLocation{
			"%SRCROOT%": {URI: fileURI(root) + "/"},
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func artifactLocation(file, root string) sarifArtifactLocation {
	if root != "" {
		abs := file
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(root, file)
		}
		if rel, err := filepath.Rel(root, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return sarifArtifactLocation{URI: (&url.URL{Path: filepath.ToSlash(rel)}).String(), URIBaseID: "%SRCROOT%"}
		}
	}
	if filepath.IsAbs(file) {
		return sarifArtifactLocation{URI: fileURI(file)}
	}
	return sarifArtifactLocation{URI: (&url.URL{Path: filepath.ToSlash(file)}).String()}
}

func fileURI(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Clean(path))}).String()
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                        `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifactLocation `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult                    `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules,omitempty"`
}

type sarifRule struct {
	ID               string        `json:"id"`
	ShortDescription *sarifMessage `json:"shortDescription,omitempty"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     Level           `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}
