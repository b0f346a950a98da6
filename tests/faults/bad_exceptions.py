# fault: exceptions that fight back: __str__ raises, __repr__ raises, the class name is odd, the message is 10 MB
# defence: the worker describes exceptions defensively and the grader caps what it keeps
# breaks: test_row_view test_numpy_copy test_cos_in_place
# says: raised


class Nasty(Exception):
    def __str__(self):
        raise RuntimeError("no string for you")

    def __repr__(self):
        raise SystemExit("nor a repr")


Odd = type("Odd\u202e\n" + "x" * 500, (Exception,), {})


def row_view(x, i):
    raise Nasty()


def numpy_copy(arr):
    raise Odd("odd")


def cos_(x):
    raise ValueError("y" * (10 * 2**20))
