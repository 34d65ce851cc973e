# Builds and installs libmntns for C programs: the shared library (soname libmntns.so.0)
# with its .so.0 and .so links, the static library, the header and mntns.pc for pkg-config.
# Needs only cargo, make and coreutils (cargo-c is not needed).
#
#   make                                       build target/release/libmntns.{so,a}
#   make install   [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=…] [INCLUDEDIR=…]
#   make uninstall [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=…] [INCLUDEDIR=…]
#
# After installing into a system directory, run ldconfig. Then:
#   cc prog.c $(pkg-config --cflags --libs mntns)
#   cc -static prog.c $(pkg-config --static --cflags --libs mntns)

TOP          := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=
CARGO        ?= cargo
INSTALL      ?= install

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' $(TOP)Cargo.toml | head -n 1)
# The soname is libmntns.so.0 for every 0.x release (set in capi/build.rs).
SONAME  := libmntns.so.$(firstword $(subst ., ,$(VERSION)))
REAL    := libmntns.so.$(VERSION)
BUILD   := $(or $(CARGO_TARGET_DIR),$(TOP)target)/release

.PHONY: all install uninstall
all:
	cd $(TOP) && $(CARGO) build --release --locked -p mntns-capi

install: all
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 755 $(BUILD)/libmntns.so $(DESTDIR)$(LIBDIR)/$(REAL)
	ln -sfn $(REAL) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libmntns.so
	$(INSTALL) -m 644 $(BUILD)/libmntns.a $(DESTDIR)$(LIBDIR)/libmntns.a
	$(INSTALL) -m 644 $(TOP)include/mntns.h $(DESTDIR)$(INCLUDEDIR)/mntns.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    $(TOP)mntns.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/mntns.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/mntns.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(REAL) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libmntns.so $(DESTDIR)$(LIBDIR)/libmntns.a \
	      $(DESTDIR)$(INCLUDEDIR)/mntns.h $(DESTDIR)$(PKGCONFIGDIR)/mntns.pc
