package profiling

import (
	"os"
	"path/filepath"
)

// writeData writes b to f; tests replace it to simulate a full disk.
var writeData = func(f *os.File, b []byte) (int, error) { return f.Write(b) }

// writeAtomic writes b to path so that readers see either the old file or the whole new one: it writes a
// temporary file in the same directory, fsyncs it, renames it over path and fsyncs the directory. On any
// error the temporary file is removed.
func writeAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = writeData(f, b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
