---
# tempfile: module, mkstemp and NamedTemporaryFile (CPython 3.11)
# Verbatim excerpts (layout only); sources and licences: SOURCES.md
dlm_id: 01KQ9C0RP50000000000000005
dlm_version: 15
base_model: smollm2-135m
---

# tempfile

Temporary files.

This module provides generic, low- and high-level interfaces for creating temporary files and directories. All of the interfaces provided by this module can be used without fear of race conditions except for 'mktemp'. 'mktemp' is subject to race conditions and should not be used; it is provided for backward compatibility only.

The default path names are returned as str. If you supply bytes as input, all return values will be in bytes. Ex:

```
>>> tempfile.mkstemp()
(4, '/tmp/tmptpu9nin8')
>>> tempfile.mkdtemp(suffix=b'')
b'/tmp/tmppbi8f0hy'
```

This module also provides some data items to the user:

```
TMP_MAX  - maximum number of names that will be tried before
           giving up.
tempdir  - If this is set to a string before the first use of
           any routine from this module, it will be considered as
           another candidate location to store temporary files.
```

::prose::

# tempfile.mkstemp

User-callable function to create and return a unique temporary file. The return value is a pair (fd, name) where fd is the file descriptor returned by os.open, and name is the filename.

If 'suffix' is not None, the file name will end with that suffix, otherwise there will be no suffix.

If 'prefix' is not None, the file name will begin with that prefix, otherwise a default prefix is used.

If 'dir' is not None, the file will be created in that directory, otherwise a default directory is used.

If 'text' is specified and true, the file is opened in text mode. Else (the default) the file is opened in binary mode.

If any of 'suffix', 'prefix' and 'dir' are not None, they must be the same type. If they are bytes, the returned name will be bytes; str otherwise.

The file is readable and writable only by the creating user ID. If the operating system uses permission bits to indicate whether a file is executable, the file is executable by no one. The file descriptor is not inherited by children of this process.

Caller is responsible for deleting the file when done with it.

::prose::

# tempfile.NamedTemporaryFile

Create and return a temporary file.
Arguments:
'prefix', 'suffix', 'dir' -- as for mkstemp.
'mode' -- the mode argument to io.open (default "w+b").
'buffering' -- the buffer size argument to io.open (default -1).
'encoding' -- the encoding argument to io.open (default None)
'newline' -- the newline argument to io.open (default None)
'delete' -- whether the file is deleted on close (default True).
'errors' -- the errors argument to io.open (default None)
The file is created as mkstemp() would do it.

Returns an object with a file-like interface; the name of the file is accessible as its 'name' attribute. The file will be automatically deleted when it is closed unless the 'delete' argument is set to False.

On POSIX, NamedTemporaryFiles cannot be automatically deleted if the creating process is terminated abruptly with a SIGKILL signal. Windows can delete the file even in this case.
