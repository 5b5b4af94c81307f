#!/bin/bash
#
# Run Staffeln's devstack plugin the way stack.sh, unstack.sh and clean.sh
# run it: the same devstack files sourced in the same order, the same
# phases, with devstack's own functions. Only what the plugin does not
# depend on is left out (installing packages, the other services).
#
#   phases.sh stack [post-config]   stack.sh, to the plugin's "stack extra"
#                                   (or its "stack post-config")
#   phases.sh unstack [-a]          unstack.sh (-a: stop the databases too)
#   phases.sh clean                 clean.sh
#
# TOP_DIR (the directory of devstack's files, whose .localrc.auto holds the
# test's local.conf) and FAKE_SANDBOX (where everything is written) come
# from the environment, and the fakes' directory comes first on PATH.
# stack.sh does not run "stack install" here: it clones and pip installs.

function source_libs {
    local lib
    for lib in "$@"; do
        source "$TOP_DIR/lib/$lib"
    done
}

# Configuration directories that devstack's libraries fix under /etc.
function sandbox_config_dirs {
    CINDER_CONF_DIR=$FAKE_SANDBOX/etc/cinder
    CINDER_CONF=$CINDER_CONF_DIR/cinder.conf
    CINDER_UWSGI_CONF=$CINDER_CONF_DIR/cinder-api-uwsgi.ini
    CINDER_API_PASTE_INI=$CINDER_CONF_DIR/api-paste.ini
}

# Everything stack.sh sources after override_defaults, in its order.
STACK_LIBS=(apache tls infra libraries lvm horizon keystone glance nova
    placement cinder swift neutron ldap dstat atop tcpdump etcd3 os-vif)
UNSTACK_LIBS=(apache tls infra lvm horizon keystone glance nova placement
    cinder swift neutron ldap dstat atop tcpdump etcd3)
CLEAN_LIBS=(apache ldap database rpc_backend tls libraries lvm horizon
    keystone glance nova placement cinder swift neutron)

function stack {
    source "$TOP_DIR/functions"
    source "$TOP_DIR/lib/stack"
    source "$TOP_DIR/stackrc"
    set -o errexit
    source_libs database rpc_backend
    run_phase override_defaults
    source_libs "${STACK_LIBS[@]}"
    sandbox_config_dirs
    run_phase source
    initialize_database_backends
    define_database_baseurl
    save_stackenv $LINENO
    if [[ "$GLOBAL_VENV" == "True" ]]; then
        setup_devstack_virtualenv
    fi
    run_phase stack pre-install
    if is_service_enabled cinder; then
        configure_cinder
    fi
    run_phase stack post-config
    if [[ "${1:-}" == post-config ]]; then
        return 0
    fi
    run_phase stack extra
}

function unstack {
    UNSTACK_ALL=""
    if [[ "${1:-}" == -a ]]; then
        UNSTACK_ALL="-1"
    fi
    source "$TOP_DIR/functions"
    source "$TOP_DIR/lib/database"
    source "$TOP_DIR/openrc"
    DATA_DIR=${DATA_DIR:-${DEST}/data}
    GetDistro
    run_phase override_defaults
    source_libs "${UNSTACK_LIBS[@]}"
    sandbox_config_dirs
    load_plugin_settings
    run_phase unstack
    if [[ -n "$UNSTACK_ALL" ]]; then
        if is_service_enabled mysql; then
            stop_service mysql
        fi
        if is_service_enabled postgresql; then
            stop_service postgresql
        fi
    fi
}

function clean {
    source "$TOP_DIR/functions"
    source "$TOP_DIR/openrc"
    if [[ -r $TOP_DIR/.stackenv ]]; then
        source "$TOP_DIR/.stackenv"
    fi
    GetDistro
    source_libs "${CLEAN_LIBS[@]}"
    sandbox_config_dirs
    bash "${BASH_SOURCE[0]}" unstack -a
    load_plugin_settings
    run_phase clean
}

"$@"
