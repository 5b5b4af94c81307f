"""What the commands share: scope and paging options, and output rows."""


def add_scope(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--project', metavar='<project-id>',
                       help='The project to list (default: your own; '
                            'admin only for another one).')
    group.add_argument('--all-projects', action='store_true',
                       help='List every project (admin only).')


def add_paging(parser, sort_keys: tuple) -> None:
    parser.add_argument('--limit', type=int, metavar='<n>',
                        help='At most this many (1 to 1000).')
    parser.add_argument('--marker', metavar='<id>',
                        help='Start after this one (the last of the '
                             'previous page).')
    parser.add_argument('--sort-key', choices=sort_keys,
                        help='Sort by this field.')
    parser.add_argument('--sort-dir', choices=('asc', 'desc'),
                        help='Sort direction.')


def scope_params(args) -> dict:
    return {'project_id': args.project,
            'all_projects': 'true' if args.all_projects else None}


def paging_params(args) -> dict:
    return {'limit': args.limit, 'marker': args.marker,
            'sort_key': args.sort_key, 'sort_dir': args.sort_dir}


def row(item: dict, fields: tuple) -> tuple:
    return tuple(item.get(field) for field in fields)


def show(item: dict) -> tuple:
    """A ShowOne's (columns, values), nested values flattened a level."""
    flat = {}
    for key, value in item.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                flat[f'{key}.{sub}'] = inner
        else:
            flat[key] = value
    columns = tuple(sorted(flat))
    return columns, tuple(flat[c] for c in columns)
