package gitrev

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// repo makes a repository with two commits of sub/f.txt: "one", then "two".
func repo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), "git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "--quiet")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	for _, v := range []string{"one", "two"} {
		if err := os.WriteFile(filepath.Join(dir, "sub", "f.txt"), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
		run("add", "-A")
		run("commit", "--quiet", "-m", v)
	}
	return dir
}

func TestCheckout(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := repo(t)
	tree, err := Checkout(t.Context(), filepath.Join(dir, "sub"), "HEAD~1")
	if err != nil {
		t.Fatalf("Checkout(HEAD~1): %v", err)
	}
	sub, err := tree.Dir(filepath.Join(dir, "sub"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(sub, "f.txt"))
	if err != nil || string(got) != "one" {
		t.Errorf("sub/f.txt at HEAD~1 = %q, %v; want \"one\"", got, err)
	}
	if err := tree.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := tree.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if _, err := os.Stat(tree.Root); !os.IsNotExist(err) {
		t.Errorf("worktree %s still exists after Close (err %v)", tree.Root, err)
	}
	out, err := exec.Command("git", "-C", dir, "worktree", "list", "--porcelain").Output()
	if n := strings.Count(string(out), "worktree "); err != nil || n != 1 {
		t.Errorf("git worktree list after Close = %q (%v), want only the main worktree", out, err)
	}
	for _, bad := range []struct {
		rev  string
		want error
	}{{"no-such-rev", ErrBadRev}, {"--help", ErrBadRev}} {
		if _, err := Checkout(t.Context(), dir, bad.rev); !errors.Is(err, bad.want) {
			t.Errorf("Checkout(%q) error = %v, want %v", bad.rev, err, bad.want)
		}
	}
	if _, err := Checkout(t.Context(), t.TempDir(), "HEAD"); !errors.Is(err, ErrNotRepo) {
		t.Errorf("Checkout outside a repository: error = %v, want ErrNotRepo", err)
	}
}
