// Package gitrev checks out a git revision of the repository around a directory into a temporary
// worktree, so a command can build "the same packages as they were at REV" next to the working tree.
package gitrev

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNotRepo: the directory is not inside a git work tree (or git is missing).
var ErrNotRepo = errors.New("not in a git repository")

// ErrBadRev: the revision does not name a commit.
var ErrBadRev = errors.New("not a commit")

// Tree is a temporary worktree at one revision. Close removes it.
type Tree struct {
	Rev    string // the full commit hash checked out
	Top    string // the top of the original work tree
	Root   string // the top of the temporary worktree
	tmp    string
	closed bool
}

// Dir returns the directory in the temporary worktree that corresponds to dir in the original one.
func (t *Tree) Dir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	abs, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(t.Top, abs)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("gitrev: %s is outside the work tree %s", dir, t.Top)
	}
	return filepath.Join(t.Root, rel), nil
}

// Checkout adds a detached worktree of rev for the repository that holds dir, in a new temporary
// directory. The caller must Close it.
func Checkout(ctx context.Context, dir, rev string) (*Tree, error) {
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("gitrev: %s: %w", dir, ErrNotRepo)
	}
	if top, err = filepath.EvalSymlinks(top); err != nil {
		return nil, fmt.Errorf("gitrev: %w", err)
	}
	if strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("gitrev: revision %q: %w", rev, ErrBadRev)
	}
	hash, err := git(ctx, top, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("gitrev: revision %q: %w", rev, ErrBadRev)
	}
	tmp, err := os.MkdirTemp("", "hotpath-rev-")
	if err != nil {
		return nil, fmt.Errorf("gitrev: %w", err)
	}
	root := filepath.Join(tmp, "tree")
	if _, err := git(ctx, top, "worktree", "add", "--detach", "--quiet", root, hash); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("gitrev: check out %s: %w", rev, err)
	}
	return &Tree{Rev: hash, Top: top, Root: root, tmp: tmp}, nil
}

// Close removes the worktree and its directory. It runs even when the context of Checkout was
// cancelled, and is safe to call twice.
func (t *Tree) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	_, err := git(context.Background(), t.Top, "worktree", "remove", "--force", t.Root)
	if rerr := os.RemoveAll(t.tmp); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("gitrev: remove worktree: %w", err)
	}
	return nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("git %s: %s", args[0], firstLine(msg))
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return strings.TrimSpace(string(out)), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
