import os
import sys


def f(x):
    if x == None:
        return 1
    return sys.argv
