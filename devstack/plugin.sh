#!/bin/bash
#
# devstack/plugin.sh: dispatch devstack's phases to devstack/lib/staffeln.

# Save trace setting
_XTRACE_STAFFELN_PLUGIN=$(set +o | grep xtrace)
set -o xtrace

source "$(dirname "${BASH_SOURCE[0]}")/lib/staffeln"

if is_service_enabled staffeln-api staffeln-conductor; then
    if [[ "$1" == "stack" && "$2" == "pre-install" ]]; then
        # Before stack.sh configures Cinder.
        choose_cinder_backup_driver_for_staffeln
    elif [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Staffeln"
        install_staffeln
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring Staffeln"
        if is_service_enabled key; then
            create_staffeln_accounts
        fi
        configure_staffeln
        if is_service_enabled c-api && is_service_enabled staffeln-api; then
            configure_cinder_for_staffeln
        fi
        init_staffeln
        if is_service_enabled horizon && \
                is_service_enabled staffeln-api; then
            enable_staffeln_dashboard
        fi
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting Staffeln"
        start_staffeln
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_staffeln
        unconfigure_cinder_for_staffeln
        # unstack.sh -a, and clean.sh through it, stop the database server
        # once the plugins are done.
        if [[ -n "${UNSTACK_ALL:-}" ]]; then
            drop_staffeln_database
        fi
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_staffeln
    fi
fi

# Restore xtrace
$_XTRACE_STAFFELN_PLUGIN
