//go:build !linux

package cache

import (
	"fmt"
	"os"
)

func statID(st os.FileInfo) string { return fmt.Sprint(st.Size(), st.ModTime().UnixNano()) }
