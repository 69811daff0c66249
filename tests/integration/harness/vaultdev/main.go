// Copyright (c) zotops maintainers
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

// vaultdev: what `vault server -dev` gives, for the zotops.zot tests, from Vault's own packages.
//
// Vault's core (github.com/hashicorp/vault/vault) with in-memory storage, initialised and unsealed
// with one key share; a root token with the ID given in VAULTDEV_ROOT_TOKEN (the environment, so it
// never shows in a process listing), created and the initial root token revoked exactly as
// `vault server -dev -dev-root-token-id` does; the KV secrets engine version 2
// (github.com/hashicorp/vault-plugin-secrets-kv, the plugin Vault ships) mounted at secret/; and
// Vault's own HTTP API handler (github.com/hashicorp/vault/http) on the loopback address given by
// -listen. Nothing here answers an API request itself: every request goes through Vault's handler.
//
// Why not the `vault` binary: see scripts/setup-dev-env.sh (vault_dev_server). It is built there
// from the Go module proxy; this file is ours, not Vault's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	kv "github.com/hashicorp/vault-plugin-secrets-kv"
	"github.com/hashicorp/vault/helper/namespace"
	vaulthttp "github.com/hashicorp/vault/http"
	"github.com/hashicorp/vault/internalshared/configutil"
	"github.com/hashicorp/vault/sdk/helper/consts"
	"github.com/hashicorp/vault/sdk/logical"
	"github.com/hashicorp/vault/sdk/physical/inmem"
	"github.com/hashicorp/vault/vault"
)

// noBuiltins is a plugin catalog with no builtin plugins: the only secrets engine is KV, given to
// the core directly (as Vault's server command does for kv, so that dev mode can mount it).
type noBuiltins struct{}

func (noBuiltins) Contains(string, consts.PluginType) bool { return false }
func (noBuiltins) Get(string, consts.PluginType) (func() (interface{}, error), bool) {
	return nil, false
}
func (noBuiltins) Keys(consts.PluginType) []string { return nil }
func (noBuiltins) DeprecationStatus(string, consts.PluginType) (consts.DeprecationStatus, bool) {
	return consts.Unknown, false
}
func (noBuiltins) IsBuiltinEntPlugin(string, consts.PluginType) bool { return false }

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "vaultdev: "+format+"\n", args...)
	os.Exit(1)
}

func request(ctx context.Context, core *vault.Core, token, path string, data map[string]interface{}) (*logical.Response, error) {
	resp, err := core.HandleRequest(ctx, &logical.Request{
		Operation: logical.UpdateOperation, ClientToken: token, Path: path, Data: data,
	})
	if err == nil && resp != nil && resp.IsError() {
		err = resp.Error()
	}
	return resp, err
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8200", "loopback address for Vault's HTTP API")
	logLevel := flag.String("log-level", "warn", "Vault's log level")
	flag.Parse()
	rootToken := os.Getenv("VAULTDEV_ROOT_TOKEN")
	if rootToken == "" {
		fail("set VAULTDEV_ROOT_TOKEN to the root token ID to create")
	}

	logger := hclog.New(&hclog.LoggerOptions{Name: "vaultdev", Level: hclog.LevelFromString(*logLevel)})
	storage, err := inmem.NewInmem(nil, logger)
	if err != nil {
		fail("storage: %v", err)
	}
	core, err := vault.NewCore(&vault.CoreConfig{
		Physical:           storage,
		StorageType:        "inmem",
		Logger:             logger,
		DisableMlock:       true,
		LogicalBackends:    map[string]logical.Factory{"kv": kv.Factory},
		CredentialBackends: map[string]logical.Factory{},
		BuiltinRegistry:    noBuiltins{},
	})
	if err != nil {
		fail("core: %v", err)
	}

	// vault server -dev: one key share, unseal, a root token with the given ID, kv-v2 at secret/.
	ctx := namespace.ContextWithNamespace(context.Background(), namespace.RootNamespace)
	init, err := core.Initialize(ctx, &vault.InitParams{
		BarrierConfig: &vault.SealConfig{SecretShares: 1, SecretThreshold: 1, Name: "shamir"},
	})
	if err != nil {
		fail("initialize: %v", err)
	}
	if unsealed, err := core.Unseal(init.SecretShares[0]); err != nil || !unsealed {
		fail("unseal: %v", err)
	}
	created, err := request(ctx, core, init.RootToken, "auth/token/create", map[string]interface{}{
		"id": rootToken, "policies": []string{"root"}, "no_parent": true, "no_default_policy": true,
	})
	if err != nil || created == nil || created.Auth == nil {
		fail("root token: %v", err)
	}
	if _, err := request(ctx, core, init.RootToken, "auth/token/revoke-self", nil); err != nil {
		fail("revoke the initial root token: %v", err)
	}
	if _, err := request(ctx, core, rootToken, "sys/mounts/secret", map[string]interface{}{
		"type": "kv", "path": "secret/", "description": "key/value secret storage",
		"options": map[string]string{"version": "2"},
	}); err != nil {
		fail("mount kv-v2 at secret/: %v", err)
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fail("listen: %v", err)
	}
	server := &http.Server{
		Handler: vaulthttp.Handler.Handler(&vault.HandlerProperties{
			Core: core, ListenerConfig: &configutil.Listener{Type: "tcp", Address: *listen},
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          logger.StandardLogger(nil),
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	fmt.Printf("vaultdev: Vault's API on http://%s, kv-v2 at secret/\n", listener.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-stop:
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			fail("serve: %v", err)
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = server.Shutdown(shutdown)
	_ = core.Shutdown()
}
