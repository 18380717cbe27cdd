// What a front-door thread besides the main thread did so far, as RunningServer.frontDoorCounts()
// reports it (a file of its own: the package's public types name it).
export interface DoorThreadCounts {
  /** 1, 2, ... (the main thread's front door is 0), and the thread's id in the operating system. */
  thread: number;
  tid: number | null;
  /** Requests the thread answered itself, and those it forwarded to the main thread. */
  answered: number;
  forwarded: number;
  /** Its eventually consistent reads answered from a B-tree, and those it could not answer there. */
  localServed: number;
  localPassed: number;
}
