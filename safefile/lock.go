package safefile

import "errors"

// ErrLocked says that another process holds the lock TryLock asked for.
var ErrLocked = errors.New("in use by another process")
