/*
 * exitcodes: exit statuses of both programs (sysexits style). The collector's
 * are part of the supervisor <-> collector protocol: they drive the restart
 * policy and are also the status field of a failed CYCLE_END.
 */
#ifndef TBE_EXITCODES_H
#define TBE_EXITCODES_H

#define EXIT_OK 0
#define EXIT_USAGE 64       /* EX_USAGE: bad command line */
#define EXIT_DATAERR 65     /* EX_DATAERR: upstream sent data we cannot use */
#define EXIT_NOINPUT 66     /* EX_NOINPUT: an input file cannot be opened */
#define EXIT_UNAVAILABLE 69 /* EX_UNAVAILABLE: upstream unreachable / HTTP error */
#define EXIT_SOFTWARE 70    /* EX_SOFTWARE: internal error */
#define EXIT_OSERR 71       /* EX_OSERR: fork, socket, memory */
#define EXIT_IOERR 74       /* EX_IOERR: a read or write failed */
#define EXIT_PROTOCOL 76    /* EX_PROTOCOL: the peer broke the framing protocol */
#define EXIT_CONFIG 78      /* EX_CONFIG: configuration error; wait for a reload */

#endif
