"""Follow an OpenStack collection's ``next`` links by hand."""

from __future__ import annotations

from typing import Any

import testtools

#: More pages than any scenario creates: a loop guard, not a limit.
MAX_PAGES = 500


def walk(test: testtools.TestCase, proxy: Any, url: str, key: str,
         limit: int) -> list[list[dict[str, Any]]]:
    """Every page of ``url``; checks the paging contract on each one.

    Nova and Cinder give a page a ``next`` link exactly when it is full
    (so a collection whose size is a multiple of ``limit`` ends with an
    empty page), and the link carries on from the page's last item.
    """
    pages: list[list[dict[str, Any]]] = []
    next_url: str | None = url
    while next_url is not None:
        test.assertLess(len(pages), MAX_PAGES, 'the next links never end')
        response = proxy.get(next_url)
        test.assertEqual(200, response.status_code, response.text)
        body = response.json()
        page = body[key]
        pages.append(page)
        test.assertLessEqual(len(page), limit)
        links = [link['href'] for link in body.get(f'{key}_links', [])
                 if link.get('rel') == 'next']
        if len(page) < limit:
            test.assertEqual([], links, f'a short page has a next link: {url}')
            next_url = None
        else:
            test.assertEqual(1, len(links), 'a full page has no next link')
            test.assertIn(f'marker={page[-1]["id"]}', links[0])
            next_url = links[0]
    return pages
