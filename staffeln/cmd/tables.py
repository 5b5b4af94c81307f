"""The one table helper of the commands: aligned columns of plain text."""


def render(headers, rows, indent: str = '  ',
           empty: str = '(none)') -> str:
    """``headers`` and ``rows`` as aligned columns, one row per line.

    Every column but the last is padded to its widest cell; trailing spaces
    are dropped. Without rows, ``empty`` stands for the table.
    """
    rows = [[str(cell) for cell in row] for row in rows]
    if not rows:
        return indent + empty
    table = ([[str(h) for h in headers]] if headers else []) + rows
    widths = [max(len(row[i]) for row in table)
              for i in range(len(table[0]))]
    widths[-1] = 0
    return '\n'.join(
        (indent + '  '.join(cell.ljust(width)
                            for cell, width in zip(row, widths))).rstrip()
        for row in table)
