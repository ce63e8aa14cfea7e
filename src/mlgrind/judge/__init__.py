"""The judge's line to a student's kernel: hidden tests run apart from student code, and plain data crosses.

From the bottom up: ``wire`` encodes and checks plain data; ``student_side`` answers the judge inside the
student's kernel; ``source`` reads how an answer is written from its code; ``judge_side`` brings the
student's names into the judge as proxies and copies.
"""
